import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { sha256Hex } from "../core/digest.ts";
import { CrucibleError } from "../core/errors.ts";
import { authorizeAndAudit, deniedError } from "../governed/funnel.ts";
import type { Principal } from "../policy/entities.ts";
import type { Db } from "../store/db.ts";
import { type CheckpointView, checkpointResource, withStarters } from "./read.ts";
import { resolveCheckpoint } from "./resolve.ts";
import { MANIFEST_FILE } from "./verify.ts";

/** The default policy's rule refusing generation from a tainted checkpoint (default.cedar). */
export const UNTAINTED_RULE = "gate.generate-untainted";

/** How a checkpoint is used: one `crucible generate`, or one `crucible chat` session. */
export interface GenerationUse {
  mode: "generate" | "chat";
  decoding: { temperature: number; top_p: number; max_tokens: number | null; seed: number };
  /** Prompts of a `generate` (a chat's turns are not known in advance). */
  prompts?: number;
}

/**
 * Decides `checkpoint.generate` on a checkpoint (by name or id) before any model loads, and audits
 * the decision with how it is used — mode, decoding parameters, prompt count, never prompt text,
 * which may be private. The default policy lets ML engineers and model approvers generate and
 * refuses a tainted checkpoint (`gate.generate-untainted`) unless the workspace's policy says
 * otherwise. A denial is committed, then thrown. Allowed, its files must still be there and be
 * the registered ones (manifest digest), or it is `failed_precondition`.
 * @example const view = await authorizeGeneration(db, eli, workspace, "acme-sft/sft/step-8", use);
 */
export async function authorizeGeneration(
  db: Db,
  caller: Principal,
  workspace: string,
  ref: string,
  use: GenerationUse,
): Promise<CheckpointView> {
  const [view] = await withStarters(db, [await resolveCheckpoint(db, workspace, ref)]);
  const request = {
    principal: caller,
    action: "checkpoint.generate",
    resource: checkpointResource(view!),
    context: { checkpoint_untainted: view!.taintedAt === null },
  } as const;
  const denied = await db.transaction(async (tx) => {
    const decision = await authorizeAndAudit(tx, request, { payload: use, detail: useDetail(use) });
    if (decision.decision === "allow") return undefined;
    const error = deniedError(decision, request);
    if (!decision.rules.includes(UNTAINTED_RULE)) return error;
    return new CrucibleError(
      "permission_denied",
      `${error.problem}; ${view!.name} is tainted: ${view!.taintReason}`,
      {
        ...error.details,
        fix: `Generate from a checkpoint no revoked dataset shaped (\`crucible lineage show ${view!.name}\` shows its datasets)`,
      },
    );
  });
  if (denied) throw denied;
  assertFilesPresent(view!);
  return view!;
}

/**
 * How the checkpoint is used, as the audit entry's reason says it: mode, decoding, prompt count.
 * @example useDetail({ mode: "generate", decoding: { temperature: 0, top_p: 1, max_tokens: 8, seed: 3 }, prompts: 2 })
 * // "generate: temperature 0, top_p 1, max_tokens 8, seed 3, 2 prompts"
 */
export function useDetail(use: GenerationUse): string {
  const d = use.decoding;
  const prompts = use.prompts === undefined ? "" : `, ${use.prompts} prompt${use.prompts === 1 ? "" : "s"}`;
  return `${use.mode}: temperature ${d.temperature}, top_p ${d.top_p}, max_tokens ${d.max_tokens ?? "default"}, seed ${d.seed}${prompts}`;
}

function assertFilesPresent(view: CheckpointView): void {
  const manifest = join(view.path, MANIFEST_FILE);
  if (view.prunedAt || !existsSync(manifest))
    throw new CrucibleError("failed_precondition", `the files of checkpoint ${view.name} are gone`, {
      field: "checkpoint",
      value: view.name,
      fix: view.prunedAt
        ? "Its run's keep_last removed them; generate from a checkpoint `crucible checkpoint list` does not mark pruned"
        : `Restore ${view.path}, or generate from another checkpoint`,
    });
  const found = `sha256:${sha256Hex(readFileSync(manifest))}`;
  if (found !== view.manifestDigest)
    throw new CrucibleError(
      "failed_precondition",
      `${manifest} is not the registered one: registered ${view.manifestDigest}, found ${found}`,
      {
        field: "checkpoint",
        value: view.name,
        fix: "Restore the checkpoint's files; `crucible verify` names what changed",
      },
    );
}
