import type { Readable, Writable } from "node:stream";

/** Where a command writes and what it may read of the environment. Tests pass their own. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal (progress bars) — false in tests and pipes. */
  isTty: boolean;
  /** What `crucible chat` reads, line by line (tests pass their own; absent: nothing to read). */
  stdin?: Readable;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    isTty: process.stderr.isTTY === true,
    stdin: process.stdin,
  };
}

/** A command's output: JSON alone on stdout with --json, text for people otherwise. */
export class Output {
  /** Whether the command's result was written (with --json, stdout then holds its one document). */
  wroteResult = false;

  constructor(
    readonly io: CliIo,
    readonly json: boolean,
  ) {}

  /** The command's result: `data` as one JSON document, or `text()` rendered for a person. */
  result(data: unknown, text: () => string): void {
    this.wroteResult = true;
    this.io.stdout.write(this.json ? `${JSON.stringify(data, null, 2)}\n` : ensureNewline(text()));
  }

  /** Side information for people (never on stdout, so --json output stays clean). */
  info(line: string): void {
    this.io.stderr.write(ensureNewline(line));
  }
}

function ensureNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

/** Lays rows out in aligned columns. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}
