import { isAbsolute, resolve } from "node:path";
import { authorizeAndAudit, deniedError, governed } from "../governed/funnel.ts";
import { actorId, type Principal } from "../policy/entities.ts";
import type { Db, Queryable } from "../store/db.ts";
import { type BaseName, baseNameText } from "./names.ts";
import { insertVerified } from "./register.ts";
import type { CheckpointRow } from "./rows.ts";
import { verifyCheckpointDir } from "./verify.ts";

/** One base to register: its name and the directory holding it (with its Crucible manifest). */
export interface BaseInput {
  name: BaseName;
  path: string;
  /** When known (e.g. from the trainer's checkpoint event), the manifest must have this digest. */
  manifestDigest?: string;
}

/**
 * Registers base checkpoints in a workspace, which is what allows them there (runs resolve their
 * base with resolveCheckpoint). Through `base.register` (admins, ML engineers), audited allow or
 * deny; every directory is verified against its manifest (every file rehashed) inside the same
 * transaction, so a tampered base leaves nothing behind. A base whose manifest names a parent
 * digest registered in the workspace (nano@mid's is nano@pre) gets it as parent, with the
 * lineage edge. Registering the same directory again under the same name is a no-op.
 * @example const [mid] = await registerBases(db, eli, { workspace, bases: [{ name: { family: "olmo2", stage: "mid" }, path: "/models/olmo2-stage2" }] });
 */
export async function registerBases(
  db: Db,
  caller: Principal,
  input: { workspace: string; bases: readonly BaseInput[] },
): Promise<CheckpointRow[]> {
  const request = {
    principal: caller,
    action: "base.register",
    resource: { type: "Workspace", id: input.workspace },
  } as const;
  const payload = { bases: input.bases.map((b) => ({ name: baseNameText(b.name), path: absolute(b.path) })) };
  return governed(
    db,
    request,
    async (tx) => {
      const rows: CheckpointRow[] = [];
      for (const base of input.bases)
        rows.push(await registerOne(tx, input.workspace, base, actorId(caller)));
      return rows;
    },
    { payload },
  );
}

/**
 * The policy check alone, audited, for work that must be allowed before it starts (building a
 * base family takes minutes); the registration itself goes through registerBases.
 * @example await authorizeBaseRegistration(db, eli, workspace, { build: "nano", preset: "tiny" });
 */
export async function authorizeBaseRegistration(
  db: Db,
  caller: Principal,
  workspace: string,
  payload: unknown,
): Promise<void> {
  const request = {
    principal: caller,
    action: "base.register",
    resource: { type: "Workspace", id: workspace },
  } as const;
  const denied = await db.transaction(async (tx) => {
    const decision = await authorizeAndAudit(tx, request, { payload });
    return decision.decision === "deny" ? deniedError(decision, request) : undefined;
  });
  if (denied) throw denied;
}

async function registerOne(
  tx: Queryable,
  workspace: string,
  base: BaseInput,
  registeredBy: string,
): Promise<CheckpointRow> {
  const path = absolute(base.path);
  const verified = await verifyCheckpointDir(path, base.manifestDigest);
  const parent = verified.manifest.parent_digest
    ? await tx.query<{ id: string }>(
        "SELECT id FROM checkpoints WHERE workspace_id = $1 AND manifest_digest = $2 ORDER BY created_at LIMIT 1",
        [workspace, verified.manifest.parent_digest],
      )
    : { rows: [] };
  const name = baseNameText(base.name);
  return insertVerified(tx, {
    workspace,
    kind: "base",
    name,
    runId: null,
    stageIdx: null,
    step: verified.manifest.step,
    final: true,
    path,
    manifestDigest: verified.manifestDigest,
    manifest: verified.manifest,
    parentId: parent.rows[0]?.id ?? null,
    registeredBy,
  });
}

function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(path);
}
