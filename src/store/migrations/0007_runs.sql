-- Runs: a run executes a recipe (one stage, or a pipeline cpt -> sft -> rft where each stage starts
-- from the previous stage's final checkpoint). Each stage is one job in the queue. Workers lease
-- jobs with SKIP LOCKED; every lease takes a new fencing token, and every write a worker makes
-- for a job (events, logs, checkpoints, completion) is conditioned on that token, so a worker that
-- lost its lease can no longer write. Checkpoints (bases and run outputs) live in one registry.
CREATE TABLE runs (
  id text PRIMARY KEY,
  workspace_id text NOT NULL REFERENCES workspaces (id),
  name text NOT NULL,
  -- the recipe as the user wrote it (parsed YAML) and the digest of its canonical JSON
  recipe jsonb NOT NULL,
  recipe_digest text NOT NULL,
  target text NOT NULL CHECK (target IN ('local', 'torchrun', 'kubernetes')),
  status text NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  started_by text NOT NULL REFERENCES principals (id),
  cancel_requested_at timestamptz,
  failure_code text,
  failure_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX runs_workspace ON runs (workspace_id, created_at);

CREATE TABLE run_stages (
  run_id text NOT NULL REFERENCES runs (id),
  idx integer NOT NULL CHECK (idx >= 0),
  stage text NOT NULL CHECK (stage IN ('cpt', 'sft', 'dpo', 'rft')),
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
  -- the checkpoint this stage starts from: the recipe's base for stage 0, else the previous
  -- stage's final checkpoint (filled in when that stage succeeds)
  base_checkpoint_id text,
  final_checkpoint_id text,
  started_at timestamptz,
  finished_at timestamptz,
  PRIMARY KEY (run_id, idx)
);

-- The queue. kind names what a worker does with the job; payload is versioned by the code that
-- reads it. attempts counts leases taken; a job whose attempts reach max_attempts fails for good.
CREATE TABLE jobs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id text NOT NULL REFERENCES workspaces (id),
  kind text NOT NULL,
  run_id text REFERENCES runs (id),
  stage_idx integer,
  payload jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'leased', 'succeeded', 'failed', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
  run_after timestamptz NOT NULL DEFAULT now(),
  lease_owner text,
  lease_expires_at timestamptz,
  -- raised by every lease; writes for the job carry the token they leased with
  fence bigint NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX jobs_ready ON jobs (run_after, id) WHERE status = 'pending';
CREATE INDEX jobs_leased ON jobs (lease_expires_at) WHERE status = 'leased';

-- Every protocol event a trainer emitted, in order, per run.
CREATE TABLE run_events (
  run_id text NOT NULL REFERENCES runs (id),
  seq bigint NOT NULL,
  stage_idx integer NOT NULL,
  type text NOT NULL,
  body jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, seq)
);

-- The trainer's stderr, line by line (the run log), so `run logs` works from any machine.
CREATE TABLE run_logs (
  run_id text NOT NULL REFERENCES runs (id),
  seq bigint NOT NULL,
  stage_idx integer NOT NULL,
  line text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, seq)
);

-- The checkpoint registry: bases registered in a workspace and every checkpoint a run wrote.
-- The manifest was verified (every file rehashed) before the row was written.
CREATE TABLE checkpoints (
  id text PRIMARY KEY,
  workspace_id text NOT NULL REFERENCES workspaces (id),
  kind text NOT NULL CHECK (kind IN ('base', 'run')),
  -- bases: `family@stage` (e.g. nano@mid); run checkpoints: `<run name>/<stage>/step-N`
  name text NOT NULL,
  run_id text REFERENCES runs (id),
  stage_idx integer,
  step integer,
  final boolean NOT NULL DEFAULT false,
  -- absolute path of the checkpoint directory
  path text NOT NULL,
  manifest_digest text NOT NULL,
  manifest jsonb NOT NULL,
  parent_id text REFERENCES checkpoints (id),
  status text NOT NULL DEFAULT 'candidate' CHECK (status IN ('candidate', 'approved', 'rejected')),
  approved_by text REFERENCES principals (id),
  approved_at timestamptz,
  tainted_at timestamptz,
  taint_reason text,
  registered_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, name),
  CHECK ((kind = 'run') = (run_id IS NOT NULL))
);
CREATE INDEX checkpoints_run ON checkpoints (run_id, stage_idx, step);
