-- Tenancy: a service identity's token bounds, set by its human owner, and invitations to join a
-- workspace (joining is the invitee's own decision, never another workspace's admin's).
ALTER TABLE principals
  ADD COLUMN token_max_lifetime_s integer CHECK (token_max_lifetime_s > 0),
  ADD COLUMN renew_until timestamptz;

-- The invitee is named, not resolved: inviting answers the same whether or not the name exists.
CREATE TABLE invitations (
  id text PRIMARY KEY,
  workspace_id text NOT NULL REFERENCES workspaces (id),
  invitee_name text NOT NULL,
  roles text[] NOT NULL,
  invited_by text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  accepted_by text REFERENCES principals (id),
  accepted_at timestamptz,
  CHECK (expires_at > created_at),
  CHECK ((accepted_by IS NULL) = (accepted_at IS NULL))
);
CREATE INDEX invitations_invitee ON invitations (invitee_name) WHERE accepted_at IS NULL;
