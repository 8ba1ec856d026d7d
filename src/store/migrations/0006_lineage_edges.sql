-- Lineage: what influenced what. The runs issue writes the edges (dataset version -> run with the
-- tokens it fed, run -> checkpoint, checkpoint -> deployment); impact queries walk them.
CREATE TABLE lineage_edges (
  workspace_id text NOT NULL REFERENCES workspaces (id),
  from_kind text NOT NULL CHECK (from_kind IN ('dataset_version', 'run', 'checkpoint', 'deployment')),
  from_id text NOT NULL,
  to_kind text NOT NULL CHECK (to_kind IN ('dataset_version', 'run', 'checkpoint', 'deployment')),
  to_id text NOT NULL,
  -- tokens of `from` that went into `to` (dataset version -> run), when known
  tokens bigint CHECK (tokens IS NULL OR tokens >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (from_kind, from_id, to_kind, to_id)
);
CREATE INDEX lineage_edges_to ON lineage_edges (to_kind, to_id);
