-- One row describing this installation: its id and when it was first started.
CREATE TABLE installation (
  id text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now(),
  singleton boolean NOT NULL DEFAULT true UNIQUE CHECK (singleton)
);
