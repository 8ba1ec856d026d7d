-- A run stage's name is checked where the list of stages lives, protocol/stage.schema.json (a
-- recipe is parsed against it before any row is written), not by a copy of that list here: with
-- it, adding a stage to the trainer would also need a migration.
ALTER TABLE run_stages DROP CONSTRAINT run_stages_stage_check;
