/**
 * Each lease of a stage trains in a directory of its own, `<stage dir>/lease-<fence>`, and starts
 * from a link of the newest checkpoint an earlier lease registered. The trainer replaces a step
 * directory that is in its way and prunes by `keep_last` within its output directory: a stale
 * trainer (its worker cut off from the store, its lease taken over) shares no directory with the
 * lease that took over, so it can neither replace nor prune what that lease registered.
 *
 * A stale trainer can still prune its own lease's registered checkpoints, the takeover's resume
 * point among them, so the worker keeps a link of the newest one it registered in
 * `<lease dir>/registered/`, where the trainer never writes.
 */
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Queryable } from "../store/db.ts";

/**
 * The output directory of one lease of a stage. The fence names it, not the attempt count: a
 * worker that stops gracefully hands its attempt back, and the fence is new on every lease.
 * @example leaseOutputDir("/home/.crucible/runs/run_01/0-cpt", 3) // "/home/.crucible/runs/run_01/0-cpt/lease-3"
 */
export function leaseOutputDir(stageDir: string, fence: number): string {
  return join(stageDir, `lease-${fence}`);
}

/** A checkpoint an earlier lease registered and a new lease may resume from. */
export interface ResumePoint {
  step: number;
  /** The registered directory (in the earlier lease's output directory). */
  from: string;
  /** Its link in the new lease's `checkpoints/`, where the trainer looks for a resume point. */
  to: string;
}

/**
 * Links the newest registered checkpoint of the stage whose manifest is still the one registered
 * (where it was written, or its link in its lease's `registered/` when keep_last pruned it) into
 * `<outputDir>/checkpoints/`, so the trainer resumes from it (and verifies every file against
 * that manifest). Hard links: the earlier lease's trainer may prune its own names afterwards
 * without touching these. Null when no registered checkpoint is usable.
 * @example const from = await linkResumePoint(db, run.id, stage.idx, outputDir);
 */
export async function linkResumePoint(
  q: Queryable,
  runId: string,
  stageIdx: number,
  outputDir: string,
): Promise<ResumePoint | null> {
  const { rows } = await q.query<{ step: number; path: string; manifest_digest: string }>(
    `SELECT step, path, manifest_digest FROM checkpoints
     WHERE run_id = $1 AND stage_idx = $2
     ORDER BY step DESC`,
    [runId, stageIdx],
  );
  const root = join(outputDir, "checkpoints");
  for (const row of rows) {
    const kept = join(dirname(dirname(row.path)), REGISTERED, basename(row.path));
    const from = [row.path, kept].find((dir) => manifestDigest(dir) === row.manifest_digest);
    if (!from) continue;
    const to = join(root, basename(row.path));
    if (!existsSync(to)) linkAtomically(from, to);
    return { step: Number(row.step), from, to };
  }
  return null;
}

const REGISTERED = "registered";

/**
 * Keeps a link of a checkpoint this lease has just registered in `<outputDir>/registered/`,
 * replacing the one kept before: the newest registered checkpoint outlives the trainer's
 * `keep_last`. Only this lease's worker writes there.
 * @example keepRegistered(outputDir, e.path);
 */
export function keepRegistered(outputDir: string, checkpointDir: string): void {
  const dir = join(outputDir, REGISTERED);
  const name = basename(checkpointDir);
  const to = join(dir, name);
  if (!existsSync(to)) linkAtomically(checkpointDir, to);
  for (const older of readdirSync(dir))
    if (older !== name) rmSync(join(dir, older), { recursive: true, force: true });
}

/** `to` appears whole or not at all (.tmp- names are what the trainer clears on start). */
function linkAtomically(from: string, to: string): void {
  const tmp = join(dirname(to), `.tmp-link-${basename(to)}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  linkTree(from, tmp);
  renameSync(tmp, to);
}

function manifestDigest(dir: string): string | null {
  try {
    return `sha256:${createHash("sha256")
      .update(readFileSync(join(dir, "manifest.json")))
      .digest("hex")}`;
  } catch {
    return null;
  }
}

/** `from`'s tree at `to`, its files hard-linked (copied where a link cannot be made). */
function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) linkTree(src, dst);
    else if (entry.isFile()) {
      try {
        linkSync(src, dst);
      } catch {
        copyFileSync(src, dst); // another filesystem, or links refused
      }
    }
  }
}
