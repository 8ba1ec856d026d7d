import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { asCrucibleError, type CrucibleError, exitCode } from "../core/errors.ts";
import type { RunAction } from "./command.ts";
import { COMMANDS, commandNamed } from "./command-index.ts";
import { type CliIo, Output, processIo } from "./io.ts";

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code: 0 success,
 * 2 bad input, 3 policy denial, 1 anything else.
 * @example await main(["store", "status", "--json"])
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let code = 0;
  const program = new Command("crucible")
    .description("Private custom language models with governance built in")
    .option("--json", "machine-readable output on stdout (nothing else is written there)")
    .option("--as <principal>", "act as this principal (embedded store only; else set CRUCIBLE_TOKEN)")
    .version(packageVersion(), "-V, --version", "print Crucible's version")
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  const run: RunAction =
    (handler) =>
    async (...args) => {
      const command = args.at(-1) as Command;
      const globals = command.optsWithGlobals<{ json?: boolean; as?: string }>();
      const out = new Output(io, globals.json === true);
      try {
        await handler({ out, env: io.env, as: globals.as }, ...args);
      } catch (err) {
        const error = asCrucibleError(err);
        code = exitCode(error.code);
        reportError(out, error);
      }
    };

  try {
    // Every command is listed; only the one argv names is filled in (its module imported).
    const named = commandNamed(argv);
    for (const { name, description, load } of COMMANDS) {
      const command = program.command(name).description(description);
      if (name === named) (await load())(command, run);
    }
    await program.parseAsync(argv, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return 0;
      if (err.code === "commander.help") return 2; // no command given: help was shown on stderr
      return 2; // commander already printed what was wrong and how to get help
    }
    const error = asCrucibleError(err);
    reportError(new Output(io, argv.includes("--json")), error);
    return exitCode(error.code);
  }
  return code;
}

function reportError(out: Output, error: CrucibleError): void {
  // With --json, stdout holds exactly one document: the result if one was written, else the error.
  if (out.json && !out.wroteResult) out.io.stdout.write(`${JSON.stringify(error.toJSON(), null, 2)}\n`);
  out.io.stderr.write(`error: ${error.describe()}\n`);
  if (error.code === "internal" && error.cause instanceof Error && out.io.env.CRUCIBLE_DEBUG) {
    out.io.stderr.write(`${error.cause.stack}\n`);
  }
}

/** The version in package.json (one level above src/ and dist/ alike). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}
