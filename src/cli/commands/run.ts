import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { Command } from "commander";
import { CrucibleError, invalid } from "../../core/errors.ts";
import { jobHandlers } from "../../jobs/handlers.ts";
import { parseRecipe } from "../../jobs/recipe.ts";
import { followRun } from "../../jobs/run-follow.ts";
import { runDetailsJson, runJson } from "../../jobs/run-json.ts";
import { listRuns, showRun } from "../../jobs/run-read.ts";
import type { RunTarget } from "../../jobs/run-rows.ts";
import { cancelRun, startRun } from "../../jobs/runs.ts";
import { trainerPython } from "../../jobs/trainer-python.ts";
import { runWorker } from "../../jobs/worker.ts";
import type { Principal } from "../../policy/entities.ts";
import type { TrainerEvent } from "../../protocol/types/events.gen.ts";
import type { Db } from "../../store/db.ts";
import { crucibleHome } from "../../store/open.ts";
import { commandWorkspace } from "../dataset-context.ts";
import type { CommandContext, RunAction } from "../main.ts";
import { progressPrinter } from "../progress.ts";
import { runsTable, runText } from "../run-render.ts";
import { withCaller } from "../session.ts";

type Ws = { workspace?: string };
const TARGETS: readonly RunTarget[] = ["local", "torchrun", "kubernetes"];

/** `crucible run start|list|show|cancel|logs`. */
export function registerRun(program: Command, run: RunAction): void {
  const cmd = program.command("run").description("training runs: start a recipe, follow, cancel");

  cmd
    .command("start")
    .description("check a recipe's inputs against policy, queue it, and follow it to its end")
    .argument("<recipe>", "recipe file (YAML), e.g. recipes/pipeline-acme.yaml")
    .option("--workspace <name>", "workspace (default: your only one)")
    .option("--target <target>", `where it runs: ${TARGETS.join(", ")}`, "local")
    .option("--nproc-per-node <n>", "--target torchrun: trainer processes per stage, data-parallel", "2")
    .option("--detach", "queue it and return; `crucible worker` processes do the work")
    .action(
      run(
        async (
          ctx,
          file: string,
          options: Ws & { target: string; nprocPerNode: string; detach?: boolean },
        ) => {
          if (!(TARGETS as readonly string[]).includes(options.target))
            throw invalid("--target", "unknown target", options.target, `Use one of ${TARGETS.join(", ")}`);
          const plan = parseRecipe(readRecipe(file), file);
          await withCaller(ctx, async (db, caller) => {
            const workspace = await commandWorkspace(db, caller, options.workspace);
            const started = await startRun(db, caller, {
              workspace,
              recipe: plan,
              target: options.target as RunTarget,
              nprocPerNode: Number(options.nprocPerNode),
            });
            ctx.out.info(
              `queued ${started.name} (${started.id}): ${started.stages.map((s) => s.stage).join(" -> ")}`,
            );
            if (options.detach) {
              const details = await showRun(db, caller, workspace, started.id);
              ctx.out.result(
                runDetailsJson(details),
                () => `${started.name} queued; follow it with \`crucible run logs ${started.name} -f\``,
              );
              return;
            }
            await followToEnd(ctx, db, caller, workspace, started.id);
          });
        },
      ),
    );

  cmd
    .command("list")
    .description("the workspace's runs, newest first")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, options: Ws) => {
        const runs = await withCaller(ctx, async (db, caller) =>
          listRuns(db, caller, await commandWorkspace(db, caller, options.workspace)),
        );
        ctx.out.result({ runs: runs.map(runJson) }, () => runsTable(runs));
      }),
    );

  cmd
    .command("show")
    .description("one run: status, stages with their latest progress, datasets with tokens, checkpoints")
    .argument("<run>", "run name (e.g. pipeline-acme-1) or id")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, ref: string, options: Ws) => {
        const details = await withCaller(ctx, async (db, caller) =>
          showRun(db, caller, await commandWorkspace(db, caller, options.workspace), ref),
        );
        ctx.out.result(runDetailsJson(details), () => runText(details));
      }),
    );

  cmd
    .command("cancel")
    .description("cancel a run: a queued one at once, a running one when its worker stops the trainer")
    .argument("<run>", "run name or id")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, ref: string, options: Ws) => {
        const result = await withCaller(ctx, async (db, caller) =>
          cancelRun(db, caller, {
            workspace: await commandWorkspace(db, caller, options.workspace),
            run: ref,
          }),
        );
        ctx.out.result(result, () =>
          result.status === "cancelled"
            ? `${result.name} cancelled`
            : `${result.name}: cancel requested; its worker stops the trainer at its next heartbeat`,
        );
      }),
    );

  cmd
    .command("logs")
    .description("the trainer's log lines of a run (-f: follow until the run ends)")
    .argument("<run>", "run name or id")
    .option("--workspace <name>", "workspace (default: your only one)")
    .option("-f, --follow", "keep printing new lines until the run ends")
    .action(
      run(async (ctx, ref: string, options: Ws & { follow?: boolean }) => {
        await withCaller(ctx, async (db, caller) => {
          const details = await showRun(
            db,
            caller,
            await commandWorkspace(db, caller, options.workspace),
            ref,
          );
          // the run's log: the trainer's own lines, and a line per event other than progress
          const lines: { stage: number; line: string }[] = [];
          const print = (stage: number, line: string) => {
            if (ctx.out.json) lines.push({ stage, line });
            else ctx.out.io.stdout.write(`[${stage}] ${line}\n`);
          };
          const status = await followRun(db, details.id, {
            onLog: ({ stageIdx, line }) => print(stageIdx, line),
            onEvent: ({ stageIdx, event }) => {
              if (event.type !== "progress") print(stageIdx, eventLine(event));
            },
            ...(options.follow ? {} : { signal: AbortSignal.abort() }),
          });
          if (ctx.out.json) ctx.out.result({ run: details.name, status, lines }, () => "");
          else ctx.out.wroteResult = true;
        });
      }),
    );
}

function readRecipe(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw invalid(
      "recipe",
      `cannot read ${file}: ${(err as Error).message}`,
      file,
      "Give the path of a recipe file, e.g. recipes/pipeline-acme.yaml",
    );
  }
}

/**
 * Follows a run to its end, with a progress bar per stage on a terminal (plain lines otherwise).
 * On the embedded store no other process can open the store, so this process also works the
 * queue (an in-process worker) until the run ends; on a server, `crucible worker`s do.
 */
async function followToEnd(ctx: CommandContext, db: Db, caller: Principal, workspace: string, runId: string) {
  const printers = new Map<number, (e: TrainerEvent) => void>();
  const write = (text: string) => ctx.out.io.stderr.write(text);
  const stop = new AbortController();
  const working = db.kind === "pglite" ? workInProcess(ctx, db, runId, stop.signal) : Promise.resolve();
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
async function workInProcess(ctx: CommandContext, db: Db, runId: string, stop: AbortSignal): Promise<void> {
  const handlers = jobHandlers({ python: trainerPython(ctx.env), home: crucibleHome(ctx.env), env: ctx.env });
  while (!stop.aborted) {
    await runWorker(db, { owner: `${hostname()}:${process.pid}`, handlers, drain: true, signal: stop });
    const { rows } = await db.query<{ status: string }>("SELECT status FROM runs WHERE id = $1", [runId]);
    if (["succeeded", "failed", "cancelled"].includes(rows[0]?.status ?? "failed")) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function eventLine(event: TrainerEvent): string {
  switch (event.type) {
    case "started":
      return `started ${event.stage} at step ${event.step} of ${event.total_steps} on ${event.device}${event.resumed_from ? `, resumed from ${event.resumed_from}` : ""}`;
    case "checkpoint":
      return `checkpoint step ${event.step}${event.final ? " (final)" : ""} ${event.manifest_digest}`;
    case "finished":
      return `finished at step ${event.step}, ${event.tokens} tokens`;
    case "failed":
      return `failed (${event.code}): ${event.reason}`;
    case "warning":
      return `warning (${event.code}): ${event.message}`;
    default:
      return event.type;
  }
}
