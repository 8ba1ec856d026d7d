-- A run's intermediate checkpoint that the trainer's keep_last removed stays registered (its
-- lineage and audit history stand), marked with when it was found pruned: listings show it as
-- pruned rather than as a checkpoint whose files have gone missing, and no lease resumes from it.
ALTER TABLE checkpoints ADD COLUMN pruned_at timestamptz;
