import { type ChildProcessByStdio, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import type { Readable } from "node:stream";

/** A `crucible` process started from bin/crucible.js, its output collected as it comes. */
export interface CliProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when the process exits, with its exit code (null when a signal ended it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns `crucible ...args` as a real process with `env` added to this process's environment.
 * @example const w = crucible(["worker", "--drain"], { CRUCIBLE_HOME: home }); await w.exited;
 */
export function crucible(args: string[], env: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, ["bin/crucible.js", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString("utf8");
  });
  child.stderr.on("data", (d: Buffer) => {
    err += d.toString("utf8");
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs `crucible ...args` to its end; throws with its stderr unless it exits 0. */
export async function crucibleOk(
  args: string[],
  env: Record<string, string>,
): Promise<{ stdout: string; stderr: string }> {
  const p = crucible(args, env);
  const { code, signal } = await p.exited;
  if (code !== 0) throw new Error(`crucible ${args.join(" ")} exited ${code ?? signal}:\n${p.stderr()}`);
  return { stdout: p.stdout(), stderr: p.stderr() };
}

/** Waits until `path` exists (polling every 20 ms), or throws after `timeoutMs`. */
export async function waitForFile(path: string, timeoutMs: number, while_?: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    if (while_ && !while_()) throw new Error(`gave up waiting for ${path}: the process it depends on ended`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
