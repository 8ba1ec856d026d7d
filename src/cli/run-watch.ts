import { CrucibleError } from "../core/errors.ts";
import type { Principal } from "../policy/entities.ts";
import type { TrainerEvent } from "../protocol/types/events.gen.ts";
import { runDetailsJson } from "../runs/run-json.ts";
import { showRun } from "../runs/run-read.ts";
import { driveRun } from "../runs/work-in-process.ts";
import type { Runtime } from "../runtime/runtime.ts";
import type { Db } from "../store/db.ts";
import type { CommandContext } from "./command.ts";
import { progressPrinter } from "./progress.ts";
import { runText } from "./run-render.ts";

/**
 * Follows a run to its end, with a progress bar per stage on a terminal (plain lines otherwise).
 * The run service decides who works its jobs meanwhile (driveRun: this process, on the embedded
 * store; `crucible worker`s, on a server).
 */
export async function followToEnd(
  ctx: CommandContext,
  db: Db,
  caller: Principal,
  workspace: string,
  runId: string,
  runtime: Runtime,
) {
  const printers = new Map<number, (e: TrainerEvent) => void>();
  const write = (text: string) => ctx.out.io.stderr.write(text);
  const status = await driveRun(db, runId, runtime.worker, {
    onEvent: ({ stageIdx, event }) => {
      if (!printers.has(stageIdx) && event.type === "started")
        printers.set(stageIdx, progressPrinter(write, event.stage, ctx.out.io.isTty));
      printers.get(stageIdx)?.(event);
      if (event.type === "checkpoint")
        ctx.out.info(`checkpoint step ${event.step}${event.final ? " (final)" : ""}: ${event.path}`);
    },
  });
  const details = await showRun(db, caller, workspace, runId);
  ctx.out.result(runDetailsJson(details), () => runText(details));
  if (status !== "succeeded")
    throw new CrucibleError(
      "failed_precondition",
      `run ${details.name} ${status}${details.failureReason ? `: ${details.failureReason}` : ""}`,
      {
        field: "run",
        value: details.name,
        fix: `\`crucible run logs ${details.name}\` shows the trainer's log`,
      },
    );
}
