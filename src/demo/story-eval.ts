import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { CrucibleError } from "../core/errors.ts";
import { REPO_ROOT } from "../runners/trainer-python.ts";

const run = promisify(execFile);

/** One metric as `nano score` reports it: the share, how many items, a 95% Wilson interval. */
export interface Measured {
  value: number;
  n: number;
  interval: [number, number];
}

/**
 * DEMO step 6 as far as it exists: the base (nano@post) and each candidate answer the same
 * held-out suites — general and domain questions (each also with a phrasing never trained on),
 * unsafe requests, benign requests that look unsafe — by greedy generation in the trainer
 * (`nano score`; its module says how answers and refusals are scored). Drift gates and canary
 * exposure come with the evaluation service; this measures, it does not decide. Every item's
 * completion and verdict land in `<detailsDir>/<label>.jsonl`, so a missed target can be read
 * item by item rather than only as a share.
 * @example const metrics = await scoreCheckpoints({ python, evalDir, acmeEval, detailsDir, checkpoints: { base: post } });
 */
export async function scoreCheckpoints(options: {
  python: string;
  /** The nano family's eval folder (`<home>/bases/nano-<preset>/eval`). */
  evalDir: string;
  /** acme-eval.jsonl written beside the handbook by `nano acme`. */
  acmeEval: string;
  /** Where each label's per-item verdicts are written (`<label>.jsonl`). */
  detailsDir: string;
  /** Label → checkpoint directory. */
  checkpoints: Record<string, string>;
  say: (line: string) => void;
}): Promise<Record<string, Record<string, Measured>>> {
  const out: Record<string, Record<string, Measured>> = {};
  mkdirSync(options.detailsDir, { recursive: true });
  for (const [label, checkpoint] of Object.entries(options.checkpoints)) {
    const args = ["-m", "crucible_trainer", "nano", "score", "--checkpoint", checkpoint];
    // one thread: generation is many small steps, and a second thread on a busy 2-core machine
    // costs more in waiting than it gives (measured in the trainer README)
    args.push("--eval-dir", options.evalDir, "--acme-eval", options.acmeEval, "--threads", "1");
    args.push("--details", join(options.detailsDir, `${label}.jsonl`));
    let stdout: string;
    try {
      ({ stdout } = await run(options.python, args, { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 }));
    } catch (err) {
      const stderr = String((err as { stderr?: string }).stderr ?? err).trim();
      throw new CrucibleError("internal", `scoring ${label} failed: ${stderr.split("\n").at(-1)}`);
    }
    out[label] = JSON.parse(stdout) as Record<string, Measured>;
    const shown = Object.entries(out[label]!).map(([name, m]) => `${name} ${m.value.toFixed(2)}`);
    options.say(`eval: ${label}: ${shown.join(", ")}`);
  }
  return out;
}

/** The DEMO summary's shape: label → metric → value. */
export function metricValues(
  measured: Record<string, Record<string, Measured>>,
): Record<string, Record<string, number>> {
  return Object.fromEntries(
    Object.entries(measured).map(([label, metrics]) => [
      label,
      Object.fromEntries(Object.entries(metrics).map(([name, m]) => [name, m.value])),
    ]),
  );
}
