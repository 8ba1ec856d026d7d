-- Canaries: strings a workspace plants in its own data so that a model that memorised them can be
-- caught (exposure) and data that leaked can be traced. Every dataset scan in the workspace looks
-- for all of them, so the values are stored as given (a hash could not be searched for); they are
-- never printed: reports and listings show a masked form and the SHA-256 digest. The set only
-- grows, so every redaction covers each canary its source version was scanned for.
CREATE TABLE workspace_canaries (
  id text PRIMARY KEY,
  workspace_id text NOT NULL REFERENCES workspaces (id),
  value text NOT NULL CHECK (length(value) BETWEEN 8 AND 256),
  -- sha256:<hex> of the value, unique per workspace
  digest text NOT NULL,
  label text,
  added_by text NOT NULL REFERENCES principals (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, digest)
);
