-- Datasets: named per workspace; versions are immutable and content-addressed (their digest);
-- artifacts are the canonical JSONL copies on disk; a version's pre-screen report holds masked
-- previews only; approvals bind a version's digest to a purpose; revocation is final.
CREATE TABLE datasets (
  id text PRIMARY KEY,
  workspace_id text NOT NULL REFERENCES workspaces (id),
  name text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, name)
);

CREATE TABLE dataset_artifacts (
  digest text PRIMARY KEY,
  -- relative to the artifacts root, so the root can move
  path text NOT NULL,
  bytes bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dataset_versions (
  id text PRIMARY KEY,
  dataset_id text NOT NULL REFERENCES datasets (id),
  version integer NOT NULL CHECK (version > 0),
  digest text NOT NULL REFERENCES dataset_artifacts (digest),
  format text NOT NULL CHECK (format IN ('jsonl', 'text', 'csv', 'parquet')),
  records bigint NOT NULL CHECK (records > 0),
  -- size of the file as uploaded (the artifact's size is in dataset_artifacts)
  bytes bigint NOT NULL,
  uploader text NOT NULL REFERENCES principals (id),
  parent_id text REFERENCES dataset_versions (id),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'revoked')),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (dataset_id, version),
  UNIQUE (dataset_id, digest)
);

CREATE TABLE prescreen_reports (
  version_id text PRIMARY KEY REFERENCES dataset_versions (id),
  findings integer NOT NULL,
  flagged_records integer NOT NULL,
  -- digest of the canary strings scanned for: a redaction must use the same set
  canary_set text NOT NULL,
  report jsonb NOT NULL
);

CREATE TABLE dataset_approvals (
  id text PRIMARY KEY,
  version_id text NOT NULL REFERENCES dataset_versions (id),
  -- the digest approved: an approval never carries over to other content
  digest text NOT NULL,
  purpose text NOT NULL CHECK (purpose IN ('cpt', 'sft', 'rft', 'eval')),
  approver text NOT NULL REFERENCES principals (id),
  approved_at timestamptz NOT NULL,
  expires_at timestamptz,
  CHECK (expires_at IS NULL OR expires_at > approved_at)
);
CREATE INDEX dataset_approvals_version ON dataset_approvals (version_id, purpose, approved_at);

CREATE TABLE dataset_revocations (
  version_id text PRIMARY KEY REFERENCES dataset_versions (id),
  reason text NOT NULL,
  revoked_by text NOT NULL REFERENCES principals (id),
  revoked_at timestamptz NOT NULL
);
