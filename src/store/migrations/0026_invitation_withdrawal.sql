-- An admin withdraws an invitation that was not accepted yet: it stays (who withdrew it and when),
-- so the inviting workspace's record of it is complete; a withdrawn invitation cannot be accepted.
ALTER TABLE invitations
  ADD COLUMN withdrawn_by text REFERENCES principals (id),
  ADD COLUMN withdrawn_at timestamptz,
  ADD CHECK ((withdrawn_by IS NULL) = (withdrawn_at IS NULL)),
  ADD CHECK (withdrawn_at IS NULL OR accepted_at IS NULL);
