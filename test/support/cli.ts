import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { main } from "../../src/cli/main.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json: () => unknown;
}

/** A fresh CRUCIBLE_HOME for one test. */
export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), "crucible-cli-"));
}

/** Runs the CLI in-process, as `crucible ...argv`, capturing its output; `input` is its stdin. */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
  input?: string,
): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (chunk: Buffer) => out.push(chunk));
  stderr.on("data", (chunk: Buffer) => err.push(chunk));
  const code = await main(argv, {
    stdout,
    stderr,
    env: { PATH: process.env.PATH, ...env },
    isTty: false,
    ...(input !== undefined ? { stdin: Readable.from([input]) } : {}),
  });
  const text = Buffer.concat(out).toString("utf8");
  return { code, stdout: text, stderr: Buffer.concat(err).toString("utf8"), json: () => JSON.parse(text) };
}

/** A fresh embedded installation made by `crucible init`, and a way to run the CLI in it `--as` someone. */
export async function initHome(
  workspace = "acme",
  admin = "root",
): Promise<{ home: string; as: (name: string, ...argv: string[]) => Promise<CliResult> }> {
  const home = tempHome();
  const init = await runCli(["init", "--workspace", workspace, "--admin", admin], { CRUCIBLE_HOME: home });
  if (init.code !== 0) throw new Error(`crucible init failed (exit ${init.code}): ${init.stderr}`);
  return { home, as: (name, ...argv) => runCli([...argv, "--as", name], { CRUCIBLE_HOME: home }) };
}
