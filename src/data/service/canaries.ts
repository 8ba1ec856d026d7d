import { randomBytes } from "node:crypto";
import { sha256Hex } from "../../core/digest.ts";
import { CrucibleError, invalid } from "../../core/errors.ts";
import { newId } from "../../core/ids.ts";
import { governed } from "../../governed/funnel.ts";
import { actorId, type Principal } from "../../policy/entities.ts";
import type { Db, Queryable } from "../../store/db.ts";
import { maskValue } from "../scan/detectors.ts";

/** A registered canary as listings show it: never its value. */
export interface CanaryRow {
  id: string;
  /** The value masked as reports mask a canary finding (`cru*** [28 chars]`). */
  masked: string;
  /** `sha256:<hex>` of the value: lets an owner check which canary this is without showing it. */
  digest: string;
  label: string | null;
  addedBy: string;
  createdAt: string;
}

/** What `addCanary` returns: the row, and the value once (the caller plants it in data). */
export interface AddedCanary extends CanaryRow {
  value: string;
}

const MIN = 8;
const MAX = 256;

/**
 * A canary value as given, or an invalid_argument naming the rule: 8–256 characters, no control
 * characters, no surrounding whitespace (a short or blank canary would flag ordinary text).
 * @example validateCanary("crucible-canary-7f3a9c21d4e0") // "crucible-canary-7f3a9c21d4e0"
 */
export function validateCanary(value: string): string {
  const fix = "Use 8 to 256 characters without control characters, e.g. crucible-canary-7f3a9c21d4e0";
  if (value.length < MIN || value.length > MAX)
    throw invalid("canary", `a canary has ${MIN} to ${MAX} characters`, `${value.length} characters`, fix);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(value))
    throw invalid("canary", "a canary has no control characters", `${value.length} characters`, fix);
  if (value.trim() !== value)
    throw invalid(
      "canary",
      "a canary does not start or end with whitespace",
      `${value.length} characters`,
      fix,
    );
  return value;
}

/**
 * A fresh random canary, `crucible-canary-<12 hex>`: unlike any text a dataset holds by chance.
 * @example generateCanary() // "crucible-canary-9c22d80185f0"
 */
export function generateCanary(): string {
  return `crucible-canary-${randomBytes(6).toString("hex")}`;
}

/**
 * Registers a canary in a workspace through `canary.add` (data stewards and admins): the value
 * given, or a generated one. From then on every dataset scan there looks for it. The value is
 * returned once, for planting; listings and reports show it masked.
 * @example const { value } = await addCanary(db, dana, { workspace, label: "handbook footer" });
 */
export async function addCanary(
  db: Db,
  caller: Principal,
  input: { workspace: string; value?: string; label?: string },
): Promise<AddedCanary> {
  const value = input.value === undefined ? generateCanary() : validateCanary(input.value);
  const label = input.label?.trim() || null;
  const digest = `sha256:${sha256Hex(value)}`;
  const id = newId("can");
  const request = {
    principal: caller,
    action: "canary.add",
    resource: { type: "Workspace", id: input.workspace },
  } as const;
  return governed(
    db,
    request,
    async (tx) => {
      const same = await tx.query(
        "SELECT 1 FROM workspace_canaries WHERE workspace_id = $1 AND digest = $2",
        [input.workspace, digest],
      );
      if (same.rows.length > 0)
        throw new CrucibleError("already_exists", "this canary is already registered", {
          field: "canary",
          value: maskValue("canary", value),
          fix: "`crucible canary list` shows the workspace's canaries; plant a new one",
        });
      await tx.query(
        `INSERT INTO workspace_canaries (id, workspace_id, value, digest, label, added_by)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [id, input.workspace, value, digest, label, actorId(caller)],
      );
      const [row] = await selectCanaries(tx, input.workspace, id);
      return { ...row!, value };
    },
    // The audit entry holds the digest, never the value.
    { payload: { id, digest, label } },
  );
}

/**
 * The workspace's canaries, masked, oldest first, through `canary.read` (stewards and admins).
 * @example (await listCanaries(db, dana, workspace)).map((c) => c.masked) // ["cru*** [28 chars]"]
 */
export async function listCanaries(db: Db, caller: Principal, workspace: string): Promise<CanaryRow[]> {
  const request = {
    principal: caller,
    action: "canary.read",
    resource: { type: "Workspace", id: workspace },
  } as const;
  return governed(db, request, (tx) => selectCanaries(tx, workspace));
}

/**
 * The values every dataset scan in the workspace looks for. Internal to the data service: the
 * scan needs them, no caller ever sees them.
 * @example const scanner = new Scanner({ canaries: await workspaceCanaries(db, workspace) });
 */
export async function workspaceCanaries(q: Queryable, workspace: string): Promise<string[]> {
  const { rows } = await q.query<{ value: string }>(
    "SELECT value FROM workspace_canaries WHERE workspace_id = $1 ORDER BY created_at, id",
    [workspace],
  );
  return rows.map((r) => r.value);
}

async function selectCanaries(q: Queryable, workspace: string, id?: string): Promise<CanaryRow[]> {
  const { rows } = await q.query<{
    id: string;
    value: string;
    digest: string;
    label: string | null;
    added_by: string;
    created_at: string | Date;
  }>(
    `SELECT c.id, c.value, c.digest, c.label, p.name AS added_by, c.created_at
     FROM workspace_canaries c JOIN principals p ON p.id = c.added_by
     WHERE c.workspace_id = $1 AND ($2::text IS NULL OR c.id = $2)
     ORDER BY c.created_at, c.id`,
    [workspace, id ?? null],
  );
  return rows.map((r) => ({
    id: r.id,
    masked: maskValue("canary", r.value),
    digest: r.digest,
    label: r.label,
    addedBy: r.added_by,
    createdAt: new Date(r.created_at).toISOString(),
  }));
}
