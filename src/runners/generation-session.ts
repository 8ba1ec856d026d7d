import { type ChildProcessByStdio, spawn } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { CrucibleError } from "../core/errors.ts";
import type { Completion, GenerationEvent, Ready, Token } from "../protocol/types/generation-events.gen.ts";
import type { GenerationRequest } from "../protocol/types/generation-request.gen.ts";
import { assertDocument, checkDocument } from "../protocol/validate.ts";
import { forEachLine, LastLines } from "./local-runner.ts";
import { assertTrainerCanRead } from "./trainer-dirs.ts";
import { trainerEnvironment } from "./trainer-env.ts";
import { REPO_ROOT } from "./trainer-python.ts";
import type { TrainerUser } from "./trainer-user.ts";

export interface GenerationSessionOptions {
  python: string;
  /** The checkpoint directory the trainer loads (read only). */
  checkpoint: string;
  device?: "auto" | "cpu" | "cuda";
  threads?: number;
  /** Where the allowlisted variables are taken from (default: this process's environment). */
  inherit?: NodeJS.ProcessEnv;
  /** Run the trainer as this user (the caller has checked it can: trainer-user.ts). */
  runAs?: TrainerUser;
  /** Every line the trainer logs on stderr. */
  onLog?: (line: string) => void;
}

type Child = ChildProcessByStdio<Writable, Readable, Readable>;
type Waiter = { event: (e: GenerationEvent) => void; end: (error: CrucibleError) => void };

/**
 * The trainer's `generate-stream` session on one checkpoint: loaded once, then asked request after
 * request (protocol/generation-request.schema.json), its events (generation-events.schema.json)
 * checked line by line. The trainer runs as training does: the allowlisted environment, offline,
 * as the trainer user where one is given, with a HOME of its own that is removed at `close`.
 * @example
 * const session = await GenerationSession.open({ python, checkpoint: view.path });
 * const [c] = await session.generate(request, (t) => process.stdout.write(t.text));
 * await session.close();
 */
export class GenerationSession {
  /** The loaded checkpoint as the trainer reports it (model type, positions, chat template). */
  ready!: Ready;
  private waiter: Waiter | undefined;
  private ended: CrucibleError | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: Child,
    private readonly home: string | undefined,
    private readonly stderr: LastLines,
    onLog: ((line: string) => void) | undefined,
  ) {
    const stdout = forEachLine(child.stdout, (line) => this.onLine(line));
    const logs = forEachLine(child.stderr, (line) => {
      stderr.push(line);
      onLog?.(line);
    });
    const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
    child.stdin.on("error", () => undefined); // a trainer that died: its exit says why
    child.once("error", (err) => this.fail(startError(err)));
    this.exited = Promise.all([stdout, logs, closed]).then(() => this.fail(this.crashed()));
  }

  /** Starts the trainer and waits for it to load the checkpoint. */
  static async open(options: GenerationSessionOptions): Promise<GenerationSession> {
    const user = options.runAs;
    if (user)
      assertTrainerCanRead(
        [...(options.python.startsWith("/") ? [options.python] : []), REPO_ROOT, options.checkpoint],
        user,
      );
    const home = user ? mkdtempSync(join(tmpdir(), "crucible-generate-")) : undefined;
    if (home && user) chownSync(home, user.uid, user.gid);
    const args = ["-m", "crucible_trainer", "generate-stream", "--checkpoint", options.checkpoint];
    args.push("--device", options.device ?? "auto");
    if (options.threads) args.push("--threads", String(options.threads));
    const child = spawn(options.python, args, {
      cwd: REPO_ROOT,
      // the same isolation as training: the allowlist, nothing of a hub, a home of its own
      env: trainerEnvironment(options.inherit ?? process.env, {
        HF_HUB_OFFLINE: "1",
        TRANSFORMERS_OFFLINE: "1",
        ...(home ? { HOME: home } : {}),
      }),
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
      stdio: ["pipe", "pipe", "pipe"],
    });
    const session = new GenerationSession(child, home, new LastLines(5), options.onLog);
    try {
      session.ready = await session.next<Ready>("ready", () => undefined);
    } catch (err) {
      await session.close();
      throw err;
    }
    return session;
  }

  /**
   * Asks one request; resolves with its completions in the request's prompt order. `onToken`
   * sees each streamed piece as it comes. A refused request is `invalid_argument` (the session
   * goes on); a trainer that stops is `internal`, with its last stderr lines.
   */
  async generate(request: GenerationRequest, onToken?: (token: Token) => void): Promise<Completion[]> {
    assertDocument<GenerationRequest>("generation-request", request);
    if (this.waiter) throw new CrucibleError("internal", "a generation request is already in flight");
    const completions = new Map<string, Completion>();
    const done = this.next("done", (event) => {
      if (event.type === "token") onToken?.(event);
      if (event.type === "completion") completions.set(event.prompt, event);
    });
    this.child.stdin.write(`${JSON.stringify(request)}\n`);
    await done;
    return request.prompts.map((p) => completions.get(p.id)!);
  }

  /** Ends the session: closes the trainer's stdin, waits for it to exit, removes its HOME. */
  async close(): Promise<void> {
    this.child.stdin.end();
    await this.exited;
    if (this.home) rmSync(this.home, { recursive: true, force: true });
  }

  /** Resolves with the next event of type `until`, handing every other event to `each`. */
  private next<E extends GenerationEvent>(
    until: E["type"],
    each: (event: GenerationEvent) => void,
  ): Promise<E> {
    if (this.ended) return Promise.reject(this.ended);
    return new Promise<E>((resolve, reject) => {
      this.waiter = {
        event: (event) => {
          if (event.type === until) {
            this.waiter = undefined;
            resolve(event as E);
          } else if (event.type === "failed") {
            this.waiter = undefined;
            reject(failure(event));
          } else each(event);
        },
        end: (error) => {
          this.waiter = undefined;
          reject(error);
        },
      };
    });
  }

  private onLine(line: string): void {
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      this.violation(`a line on stdout that is not JSON: ${JSON.stringify(line.slice(0, 200))}`);
      return;
    }
    const issues = checkDocument("generation-events", event);
    if (issues.length > 0) {
      const { path, message } = issues[0]!;
      this.violation(`an event that breaks protocol/generation-events.schema.json at ${path}: ${message}`);
      return;
    }
    this.waiter?.event(event as GenerationEvent);
  }

  private violation(what: string): void {
    this.fail(new CrucibleError("internal", `the trainer wrote ${what}`));
    this.child.kill("SIGTERM");
  }

  private fail(error: CrucibleError): void {
    this.ended ??= error;
    this.waiter?.end(error);
  }

  private crashed(): CrucibleError {
    const said = this.stderr.text();
    const how = this.child.signalCode
      ? `was killed by ${this.child.signalCode}`
      : `exited with code ${this.child.exitCode}`;
    return new CrucibleError(
      "internal",
      `the trainer's generation session ${how}${said ? `; its last stderr lines: ${said}` : ""}`,
    );
  }
}

/** The error of a `failed` event: a refused request is bad input, the rest the trainer's fault. */
function failure(event: Extract<GenerationEvent, { type: "failed" }>): CrucibleError {
  if (event.code === "bad_input") return new CrucibleError("invalid_argument", event.reason);
  if (event.code === "checkpoint_error") return new CrucibleError("failed_precondition", event.reason);
  return new CrucibleError("internal", event.reason);
}

function startError(err: Error): CrucibleError {
  return new CrucibleError("unavailable", `cannot start the trainer: ${err.message}`, {
    field: "python",
    fix: "Run `bash scripts/setup-python.sh`, or set CRUCIBLE_PYTHON to a Python with crucible_trainer installed",
  });
}
