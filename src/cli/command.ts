import type { Command } from "commander";
import type { Output } from "./io.ts";

/** What every command handler receives: its output channel and the process environment. */
export interface CommandContext {
  out: Output;
  env: NodeJS.ProcessEnv;
  /** `--as NAME`: who acts, in embedded mode (see caller.ts). */
  as: string | undefined;
}

/**
 * Fills in one top-level command that main.ts created with its name and description (see
 * command-index.ts): its arguments, options, subcommands and actions.
 */
export type Registrar = (command: Command, run: RunAction) => void;
/** Wraps a command handler so errors become exit codes and --json is honoured. */
export type RunAction = <A extends unknown[]>(
  handler: (ctx: CommandContext, ...args: A) => Promise<void>,
) => (...args: A) => Promise<void>;
