import { hostname } from "node:os";
import { CrucibleError } from "../core/errors.ts";
import type { Principal } from "../policy/entities.ts";
import type { TrainerEvent } from "../protocol/types/events.gen.ts";
import { trainerPython } from "../runners/trainer-python.ts";
import { jobHandlers } from "../runs/handlers.ts";
import { followRun } from "../runs/run-follow.ts";
import { runDetailsJson } from "../runs/run-json.ts";
import { showRun } from "../runs/run-read.ts";
import { workInProcess } from "../runs/work-in-process.ts";
import type { Db } from "../store/db.ts";
import { crucibleHome } from "../store/open.ts";
import type { CommandContext } from "./command.ts";
import { progressPrinter } from "./progress.ts";
import { runText } from "./run-render.ts";
import { trainerIsolationOf, trainerUserOf } from "./trainer-isolation.ts";

/**
 * Follows a run to its end, with a progress bar per stage on a terminal (plain lines otherwise).
 * On the embedded store no other process can open the store, so this process also works the
 * queue (an in-process worker) until the run ends; on a server, `crucible worker`s do.
 */
export async function followToEnd(
  ctx: CommandContext,
  db: Db,
  caller: Principal,
  workspace: string,
  runId: string,
) {
  const printers = new Map<number, (e: TrainerEvent) => void>();
  const write = (text: string) => ctx.out.io.stderr.write(text);
  const stop = new AbortController();
  const working = db.kind === "pglite" ? workHere(ctx, db, runId, stop.signal) : Promise.resolve();
  let status: Awaited<ReturnType<typeof followRun>>;
  try {
    status = await followRun(db, runId, {
      onEvent: ({ stageIdx, event }) => {
        if (!printers.has(stageIdx) && event.type === "started")
          printers.set(stageIdx, progressPrinter(write, event.stage, ctx.out.io.isTty));
        printers.get(stageIdx)?.(event);
        if (event.type === "checkpoint")
          ctx.out.info(`checkpoint step ${event.step}${event.final ? " (final)" : ""}: ${event.path}`);
      },
    });
  } finally {
    stop.abort();
    await working;
  }
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

/** Drains the queue in this process until the run ends (a retry's backoff is waited out). */
function workHere(ctx: CommandContext, db: Db, runId: string, signal: AbortSignal): Promise<void> {
  const handlers = jobHandlers({
    python: trainerPython(ctx.env),
    home: crucibleHome(ctx.env),
    env: ctx.env,
    ...trainerUserOf(trainerIsolationOf(ctx.env)),
  });
  return workInProcess(db, runId, { owner: `${hostname()}:${process.pid}`, handlers, signal });
}
