-- The tamper-evident audit log (ARCHITECTURE §5): one hash chain for the installation.
-- audit_head holds the newest (seq, hash); appenders lock its one row FOR UPDATE, so concurrent
-- appenders from many processes take turns and the chain never forks or skips a number.
CREATE TABLE audit_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  seq bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO audit_head (singleton, seq, hash)
VALUES (true, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
  seq bigint PRIMARY KEY CHECK (seq > 0),
  time timestamptz NOT NULL,
  workspace text,
  actor text NOT NULL,
  action text NOT NULL,
  resource text NOT NULL,
  decision text NOT NULL CHECK (decision IN ('allow', 'deny')),
  rules text[] NOT NULL,
  reason text,
  payload_digest text,
  prev_hash text NOT NULL UNIQUE,
  hash text NOT NULL UNIQUE
);
CREATE INDEX audit_log_workspace_seq ON audit_log (workspace, seq);

-- Rows are written once. Whoever the application connects as, UPDATE, DELETE and TRUNCATE raise.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- The head moves forward only: one step per appended entry, never back, never deleted.
CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' OR NEW.seq <= OLD.seq THEN
    RAISE EXCEPTION 'audit_head only moves forward: % is not allowed', TG_OP
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER audit_head_guard BEFORE UPDATE OR DELETE ON audit_head
  FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
