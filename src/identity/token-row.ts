/** A row of the `tokens` table (bearer and workload tokens) and the columns that select it whole. */
export interface TokenRow {
  id: string;
  kind: "bearer" | "workload";
  principal_id: string | null;
  run_id: string | null;
  workspace_id: string | null;
  scope: unknown;
  secret_hash: string;
  label: string | null;
  expires_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
  replaced_by: string | null;
}

export const TOKEN_COLUMNS =
  "id, kind, principal_id, run_id, workspace_id, scope, secret_hash, label, expires_at, revoked_at, last_used_at, replaced_by";
