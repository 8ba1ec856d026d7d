import { type ChildProcessByStdio, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { CrucibleError } from "../core/errors.ts";
import type { TrainerEvent } from "../protocol/types/events.gen.ts";
import type { JobSpec } from "../protocol/types/job-spec.gen.ts";
import { assertDocument, checkDocument } from "../protocol/validate.ts";
import { assertTrainerCanRead, handOverRunDir } from "./trainer-dirs.ts";
import { trainerEnvironment } from "./trainer-env.ts";
import { REPO_ROOT } from "./trainer-python.ts";
import type { TrainerUser } from "./trainer-user.ts";

export interface LocalRunOptions {
  python: string;
  /**
   * Variables the trainer gets besides the allowlisted ones (TRAINER_ENV_ALLOWLIST): the run's
   * workload token goes here, never argv.
   */
  env?: NodeJS.ProcessEnv;
  /** Where the allowlisted variables are taken from (default: this process's environment). */
  inherit?: NodeJS.ProcessEnv;
  /**
   * Run the trainer as this user (the caller has checked it can: trainer-user.ts). A spec's
   * output_dir is handed to it and becomes its HOME; everything else stays the worker's.
   */
  runAs?: TrainerUser;
  /** Every protocol event, in order, as the trainer emits it. */
  onEvent?: (event: TrainerEvent) => void;
  /** Every line the trainer logs on stderr (the run log). */
  onLog?: (line: string) => void;
  signal?: AbortSignal;
  /** Seconds between SIGTERM and SIGKILL on cancel. */
  graceSeconds?: number;
}

type Finished = Extract<TrainerEvent, { type: "finished" }>;
type Ended =
  | { status: "failed"; reason: string; code: string; checkpoints: CheckpointEvent[] }
  | { status: "cancelled"; checkpoints: CheckpointEvent[] };
/** How a trainer command ended; a command such as `nano build` may finish several runs or none. */
export type CommandOutcome =
  | { status: "succeeded"; finished?: Finished; checkpoints: CheckpointEvent[] }
  | Ended;
/** How a training run ended: a run that succeeded always says so with its `finished` event. */
export type RunOutcome = { status: "succeeded"; finished: Finished; checkpoints: CheckpointEvent[] } | Ended;

type CheckpointEvent = Extract<TrainerEvent, { type: "checkpoint" }>;

/**
 * How the trainer is started: the Python arguments before `-m crucible_trainer` (none for a
 * plain process; `-m torch.distributed.run …` for torchrun), and whether a cancel signals the
 * whole process group (a launcher's workers are its children and must stop with it).
 */
export interface Launcher {
  pythonArgs: readonly string[];
  processGroup: boolean;
}

/** The trainer as one plain child process. */
export const DIRECT: Launcher = { pythonArgs: [], processGroup: false };

/**
 * Runs the trainer on one JobSpec as a child process: writes the spec to `<output_dir>/job.json`,
 * checks every stdout line against the events protocol, passes stderr on as the run log, and turns
 * the process's end into an outcome. Anything on stdout that is not a protocol event fails the run:
 * the contract says nothing else is ever written there.
 * @example const outcome = await runLocal(spec, { python: trainerPython(process.env) });
 */
export function runLocal(spec: JobSpec, options: LocalRunOptions): Promise<RunOutcome> {
  return runJobSpec(spec, options, DIRECT);
}

/**
 * `runLocal` through any launcher (torchrun-runner.ts uses it): the same spec file, event
 * checks and outcome.
 * @example await runJobSpec(spec, { python }, { pythonArgs: ["-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"], processGroup: true });
 */
export async function runJobSpec(
  spec: JobSpec,
  options: LocalRunOptions,
  launcher: Launcher,
): Promise<RunOutcome> {
  const prepared = prepareJobSpec(spec, options);
  const outcome = await runTrainerCommand(["run", "--spec", prepared.specPath], prepared.options, launcher);
  if (outcome.status !== "succeeded") return outcome;
  if (!outcome.finished) {
    const reason = "the trainer exited 0 without a finished event";
    return { status: "failed", code: "protocol_violation", reason, checkpoints: outcome.checkpoints };
  }
  return { ...outcome, finished: outcome.finished };
}

/**
 * Checks a JobSpec against the protocol and writes it to `<output_dir>/job.json` (atomically:
 * several nodes may write the same spec into a shared output_dir); returns the path.
 * @example const path = writeJobSpec(spec);
 */
export function writeJobSpec(spec: JobSpec): string {
  assertDocument<JobSpec>("job-spec", spec);
  mkdirSync(spec.output_dir, { recursive: true });
  const specPath = join(spec.output_dir, "job.json");
  const tmp = `${specPath}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(spec, null, 2)}\n`);
  renameSync(tmp, specPath);
  return specPath;
}

/**
 * Writes the spec and, for a trainer that runs as its own user, checks that user can read its
 * Python, the code and the inputs, hands it the output directory and makes that its HOME.
 * @example const { specPath, options: trainer } = prepareJobSpec(spec, { python, runAs });
 */
export function prepareJobSpec(
  spec: JobSpec,
  options: LocalRunOptions,
): { specPath: string; options: LocalRunOptions } {
  const specPath = writeJobSpec(spec);
  const user = options.runAs;
  if (!user) return { specPath, options };
  const python = options.python.startsWith("/") ? [options.python] : [];
  const inputs = [spec.base.path, ...spec.data.sources.map((s) => s.path), dirname(spec.output_dir)];
  assertTrainerCanRead([...python, REPO_ROOT, ...inputs], user);
  handOverRunDir(spec.output_dir, user);
  return { specPath, options: { ...options, env: { ...options.env, HOME: spec.output_dir } } };
}

/**
 * Runs any event-emitting trainer command (`run`, `nano build`) and turns its end into an outcome.
 * @example await runTrainerCommand(["nano", "build", "--preset", "tiny", "--home", home], { python });
 */
export async function runTrainerCommand(
  args: readonly string[],
  options: LocalRunOptions,
  launcher: Launcher = DIRECT,
): Promise<CommandOutcome> {
  const child = spawn(options.python, [...launcher.pythonArgs, "-m", "crucible_trainer", ...args], {
    cwd: REPO_ROOT,
    // untrusted code runs in the trainer: it gets the allowlist and its caller's additions only
    env: trainerEnvironment(options.inherit ?? process.env, options.env),
    ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
    stdio: ["ignore", "pipe", "pipe"],
    detached: launcher.processGroup,
  });
  const checkpoints: CheckpointEvent[] = [];
  let finished: Finished | undefined;
  let failed: { reason: string; code: string } | undefined;
  let violation: string | undefined;
  const cancelled = watchCancel(child, options, launcher.processGroup);

  const stderr = new LastLines(STDERR_TAIL_LINES);
  const stderrDone = forEachLine(child.stderr, (line) => {
    stderr.push(line);
    options.onLog?.(line);
  });
  const stdoutDone = forEachLine(child.stdout, (line) => {
    const event = parseEvent(line);
    if (typeof event === "string") {
      violation ??= event;
      return;
    }
    if (event.type === "checkpoint") checkpoints.push(event);
    if (event.type === "finished") finished = event;
    if (event.type === "failed") failed = { reason: event.reason, code: event.code };
    options.onEvent?.(event);
  });
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      child.once("error", (err) =>
        reject(
          new CrucibleError("unavailable", `cannot start the trainer: ${err.message}`, {
            field: "python",
            value: options.python,
            fix: "Run `bash scripts/setup-python.sh`, or set CRUCIBLE_PYTHON to a Python with crucible_trainer installed",
          }),
        ),
      );
      child.once("close", (code, signal) => resolve({ code, signal }));
    },
  );
  await Promise.all([stdoutDone, stderrDone]);

  if (cancelled()) return { status: "cancelled", checkpoints };
  if (violation) return { status: "failed", code: "protocol_violation", reason: violation, checkpoints };
  if (failed) return { status: "failed", ...failed, checkpoints };
  if (exit.code === 0) return { status: "succeeded", ...(finished ? { finished } : {}), checkpoints };
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  // a crash's own words (a traceback's last lines, the OOM killer's note) are in its stderr
  const said = stderr.text();
  return {
    status: "failed",
    code: "trainer_crashed",
    reason: `the trainer ${how} without saying why${said ? `; its last stderr lines: ${said}` : ""}`,
    checkpoints,
  };
}

const STDERR_TAIL_LINES = 5;
const STDERR_LINE_CHARS = 300;

/**
 * The last lines of a stream, each cut to a bounded length, for a failure reason. A Crucible
 * token that a crash printed is masked: the reason is stored and shown to every run reader.
 * @example const tail = new LastLines(5); tail.push(line); tail.text();
 */
export class LastLines {
  private readonly lines: string[] = [];

  constructor(private readonly keep: number) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.keep) this.lines.shift();
  }

  text(): string {
    return this.lines
      .map((line) => {
        const masked = line.replace(/\b(crt|crk)_[A-Za-z0-9_-]{8,}/g, "$1_…");
        return masked.length > STDERR_LINE_CHARS ? `${masked.slice(0, STDERR_LINE_CHARS)}…` : masked;
      })
      .join(" | ");
  }
}

/** A protocol event, or a string saying why the line is not one. */
function parseEvent(line: string): TrainerEvent | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return `the trainer wrote a line on stdout that is not JSON: ${JSON.stringify(line.slice(0, 200))}`;
  }
  const issues = checkDocument("events", value);
  if (issues.length > 0) {
    return `the trainer wrote an event that breaks protocol/events.schema.json at ${issues[0]!.path}: ${issues[0]!.message}`;
  }
  return value as TrainerEvent;
}

/**
 * Calls `fn` with each non-blank line of `stream`; resolves when the stream ends.
 * @example await forEachLine(child.stdout, (line) => events.push(JSON.parse(line)));
 */
export function forEachLine(stream: Readable, fn: (line: string) => void): Promise<void> {
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on("line", (line) => {
    if (line.trim() !== "") fn(line);
  });
  return new Promise((resolve) => lines.once("close", resolve));
}

/**
 * SIGTERM on abort, SIGKILL after the grace period; returns whether the run was cancelled.
 * With `processGroup` the child leads its own group (spawned detached) and the whole group is
 * signalled, so a launcher's workers stop with it.
 */
function watchCancel(
  child: ChildProcessByStdio<null, Readable, Readable>,
  options: LocalRunOptions,
  processGroup: boolean,
): () => boolean {
  let cancelled = false;
  const signal = options.signal;
  if (!signal) return () => false;
  const kill = (how: NodeJS.Signals) => {
    if (!processGroup || child.pid === undefined) return child.kill(how);
    try {
      return process.kill(-child.pid, how);
    } catch {
      return false; // the group is already gone
    }
  };
  const cancel = () => {
    cancelled = true;
    kill("SIGTERM");
    const timer = setTimeout(() => kill("SIGKILL"), (options.graceSeconds ?? 10) * 1000);
    child.once("close", () => clearTimeout(timer));
  };
  if (signal.aborted) cancel();
  else signal.addEventListener("abort", cancel, { once: true });
  child.once("close", () => signal.removeEventListener("abort", cancel));
  return () => cancelled;
}
