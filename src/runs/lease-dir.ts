/**
 * Each lease of a stage trains in a directory of its own, `<stage dir>/lease-<fence>`, and starts
 * from links of the newest checkpoints earlier leases left. The trainer replaces a step
 * directory that is in its way and prunes by `keep_last` within its output directory: a stale
 * trainer (its worker cut off from the store, its lease taken over) shares no directory with the
 * lease that took over, so it can neither replace nor prune what that lease registered.
 *
 * A stale trainer can still prune its own lease's registered checkpoints, the takeover's resume
 * point among them, and a fast one prunes checkpoints before they are registered, so the worker
 * keeps links of the newest ones its trainer reported in `<lease dir>/kept/`, where the trainer
 * never writes.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * The output directory of one lease of a stage. The fence names it, not the attempt count: a
 * worker that stops gracefully hands its attempt back, and the fence is new on every lease.
 * @example leaseOutputDir("/home/.crucible/runs/run_01/0-cpt", 3) // "/home/.crucible/runs/run_01/0-cpt/lease-3"
 */
export function leaseOutputDir(stageDir: string, fence: number): string {
  return join(stageDir, `lease-${fence}`);
}

/** A checkpoint an earlier lease left and a new lease resumes from. */
export interface ResumePoint {
  step: number;
  /** Where it lies (an earlier lease's `checkpoints/` or `kept/`). */
  from: string;
  /** Its link in the new lease's `checkpoints/`, where the trainer looks for a resume point. */
  to: string;
}

/**
 * Links the newest complete checkpoints earlier leases of the stage left (in their `checkpoints/`
 * or `kept/`, registered or not: a worker killed before its batch committed loses its rows, not
 * its files) into `<outputDir>/checkpoints/`, the newest two, so the trainer resumes from the
 * newest that verifies against its manifest (it checks every file, and that the checkpoint was
 * written by the same training settings). Hard links: an earlier lease's trainer may prune its
 * own names afterwards without touching these. Returns the newest linked, or null.
 * @example const from = linkResumePoint(stageOutputDir(home, run.id, idx, stage), outputDir);
 */
export function linkResumePoint(stageDir: string, outputDir: string): ResumePoint | null {
  if (!existsSync(stageDir)) return null;
  const found = new Map<number, string>();
  // the stage directory itself: where every attempt wrote before leases had their own
  const earlier = [
    stageDir,
    ...readdirSync(stageDir).flatMap((n) => (/^lease-\d+$/.test(n) ? [join(stageDir, n)] : [])),
  ];
  for (const lease of earlier.filter((dir) => dir !== outputDir)) {
    for (const sub of ["checkpoints", KEPT]) {
      const dir = join(lease, sub);
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir)) {
        const step = /^step-(\d+)$/.exec(name);
        if (step && existsSync(join(dir, name, "manifest.json"))) found.set(Number(step[1]), join(dir, name));
      }
    }
  }
  const linked: ResumePoint[] = [];
  for (const [step, from] of [...found.entries()].sort((a, b) => b[0] - a[0])) {
    const to = join(outputDir, "checkpoints", basename(from));
    try {
      if (!existsSync(to)) linkAtomically(from, to);
      linked.push({ step, from, to });
    } catch {
      // pruned while we linked it (its trainer still running): the next one will do
    }
    if (linked.length === 2) break;
  }
  return linked[0] ?? null;
}

const KEPT = "kept";

/**
 * Where `keepCheckpoint` keeps its link of a checkpoint the trainer wrote in `outputDir`.
 * @example keptPath(outputDir, e.path) // "<outputDir>/kept/step-00000008"
 */
export function keptPath(outputDir: string, checkpointDir: string): string {
  return join(outputDir, KEPT, basename(checkpointDir));
}

/**
 * Links a checkpoint the trainer has just reported into `<outputDir>/kept/`, keeping the newest
 * three: the trainer's `keep_last` may remove a checkpoint before its batch is registered, or a
 * stale trainer may remove the one its takeover should resume from. Called on the event, before
 * the trainer can prune the checkpoint; only this lease's worker writes there. A checkpoint gone
 * already is left to the registration, which says so.
 * @example keepCheckpoint(outputDir, e.path);
 */
export function keepCheckpoint(outputDir: string, checkpointDir: string): void {
  const to = keptPath(outputDir, checkpointDir);
  try {
    if (!existsSync(to)) linkAtomically(checkpointDir, to);
  } catch {
    return;
  }
  // step-NNNNNNNN names sort by step
  const kept = readdirSync(dirname(to))
    .filter((name) => !name.startsWith(".tmp-"))
    .sort();
  for (const older of kept.slice(0, -3)) rmSync(join(dirname(to), older), { recursive: true, force: true });
}

/** `to` appears whole or not at all (.tmp- names are what the trainer clears on start). */
function linkAtomically(from: string, to: string): void {
  const tmp = join(dirname(to), `.tmp-link-${basename(to)}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  linkTree(from, tmp);
  renameSync(tmp, to);
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
