-- An OIDC binding belongs to the workspace it was made in: a federated sign-in carries the bound
-- principal's roles in that workspace only. Bindings made before this migration have no workspace
-- and are refused at sign-in until an admin binds the subject again.
ALTER TABLE oidc_bindings ADD COLUMN workspace_id text REFERENCES workspaces (id);
-- Claims the JWT must carry with exactly these values (e.g. {"ref": "refs/heads/main"}).
ALTER TABLE oidc_bindings ADD COLUMN conditions jsonb NOT NULL DEFAULT '{}'::jsonb;
