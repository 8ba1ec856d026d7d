-- Policy sets are data: each workspace runs its active version (or the built-in default when it
-- has none). A proposed version becomes active only when a second admin approves it.
CREATE TABLE policy_versions (
  workspace text NOT NULL,
  version integer NOT NULL CHECK (version > 0),
  text text NOT NULL,
  digest text NOT NULL,
  status text NOT NULL CHECK (status IN ('proposed', 'active', 'superseded')),
  proposed_by text NOT NULL,
  proposed_at timestamptz NOT NULL DEFAULT now(),
  approved_by text,
  approved_at timestamptz,
  PRIMARY KEY (workspace, version),
  CHECK ((status = 'proposed') = (approved_by IS NULL)),
  CHECK (approved_by IS NULL OR approved_by <> proposed_by)
);
CREATE UNIQUE INDEX policy_versions_one_active ON policy_versions (workspace) WHERE status = 'active';
