-- Identity: workspaces, principals (users and service identities), role bindings, tokens (bearer
-- and per-run workload tokens, stored only as SHA-256), and OIDC subject bindings.
CREATE TABLE workspaces (
  id text PRIMARY KEY,
  name text NOT NULL UNIQUE,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE principals (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('user', 'service')),
  name text NOT NULL UNIQUE,
  -- every service identity has a named human owner and a home workspace
  owner_id text REFERENCES principals (id),
  workspace_id text REFERENCES workspaces (id),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz,
  CHECK ((kind = 'service') = (owner_id IS NOT NULL)),
  CHECK ((kind = 'service') = (workspace_id IS NOT NULL))
);

CREATE TABLE role_bindings (
  workspace_id text NOT NULL REFERENCES workspaces (id),
  principal_id text NOT NULL REFERENCES principals (id),
  role text NOT NULL CHECK (role IN ('admin', 'data-steward', 'ml-engineer', 'model-approver', 'deployer', 'auditor')),
  granted_by text NOT NULL,
  granted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, principal_id, role)
);
CREATE INDEX role_bindings_principal ON role_bindings (principal_id);

CREATE TABLE tokens (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('bearer', 'workload')),
  principal_id text REFERENCES principals (id),
  -- workload tokens: the run they are scoped to, and what that run may touch
  run_id text,
  workspace_id text REFERENCES workspaces (id),
  scope jsonb,
  secret_hash text NOT NULL UNIQUE,
  label text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  last_used_at timestamptz,
  replaced_by text REFERENCES tokens (id),
  CHECK (expires_at > created_at),
  CHECK ((kind = 'bearer') = (principal_id IS NOT NULL)),
  CHECK ((kind = 'workload') = (run_id IS NOT NULL AND scope IS NOT NULL AND workspace_id IS NOT NULL))
);
CREATE INDEX tokens_principal ON tokens (principal_id);
CREATE INDEX tokens_run ON tokens (run_id);

CREATE TABLE oidc_bindings (
  issuer text NOT NULL,
  subject text NOT NULL,
  audience text NOT NULL,
  principal_id text NOT NULL REFERENCES principals (id),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (issuer, subject, audience)
);
