import type { Command } from "commander";
import { invalid } from "../../core/errors.ts";
import { followRun } from "../../runs/run-follow.ts";
import { runDetailsJson, runJson } from "../../runs/run-json.ts";
import { listRuns, showRun } from "../../runs/run-read.ts";
import { RUN_STATUSES, type RunStatus, type RunTarget } from "../../runs/run-rows.ts";
import { cancelRun, startRun } from "../../runs/runs.ts";
import type { RunAction } from "../command.ts";
import { commandWorkspace } from "../dataset-context.ts";
import { loadRecipe } from "../recipe-file.ts";
import { runDryRun } from "../run-kubernetes.ts";
import { eventLine, runsTable, runText } from "../run-render.ts";
import { followToEnd } from "../run-watch.ts";
import { runtimeFromEnv } from "../runtime.ts";
import { withCaller } from "../session.ts";

type Ws = { workspace?: string };
type StartOptions = Ws & {
  target: string;
  nprocPerNode: string;
  detach?: boolean;
  dryRun?: boolean;
  image?: string;
  namespace: string;
  mountPath: string;
  nodes: string;
  gpu: string;
};
const TARGETS: readonly RunTarget[] = ["local", "torchrun", "kubernetes"];

/** `crucible run start|list|show|cancel|logs`. */
export function registerRun(cmd: Command, run: RunAction): void {
  cmd
    .command("start")
    .description("check a recipe's inputs against policy, queue it, and follow it to its end")
    .argument("<recipe>", "recipe file (YAML), e.g. recipes/pipeline-acme.yaml")
    .option("--workspace <name>", "workspace (default: your only one)")
    .option("--target <target>", `where it runs: ${TARGETS.join(", ")}`, "local")
    .option("--nproc-per-node <n>", "--target torchrun: trainer processes per stage, data-parallel", "2")
    .option("--detach", "queue it and return; `crucible worker` processes do the work")
    .option("--dry-run", "--target kubernetes: print the first stage's manifests; queue nothing")
    .option("--image <image>", "--target kubernetes: the trainer image the pods run")
    .option("--namespace <ns>", "--target kubernetes: namespace", "crucible")
    .option("--mount-path <path>", "--target kubernetes: where the shared volume is mounted", "/crucible")
    .option("--nodes <n>", "--target kubernetes: pods (more than one: a Kubeflow PyTorchJob)", "1")
    .option("--gpu <n>", "--target kubernetes: GPUs per pod", "0")
    .action(
      run(async (ctx, file: string, options: StartOptions) => {
        if (!(TARGETS as readonly string[]).includes(options.target))
          throw invalid("--target", "unknown target", options.target, `Use one of ${TARGETS.join(", ")}`);
        const plan = loadRecipe(file);
        if (options.dryRun) return runDryRun(ctx, plan, options);
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
          await followToEnd(ctx, db, caller, workspace, started.id, runtimeFromEnv(ctx.env));
        });
      }),
    );

  cmd
    .command("list")
    .description("the workspace's runs, newest first")
    .option("--workspace <name>", "workspace (default: your only one)")
    .option("--status <status>", `only the runs in this status: ${RUN_STATUSES.join(", ")}`)
    .action(
      run(async (ctx, options: Ws & { status?: string }) => {
        const status = options.status === undefined ? undefined : runStatus(options.status);
        const runs = await withCaller(ctx, async (db, caller) =>
          listRuns(db, caller, await commandWorkspace(db, caller, options.workspace), {
            ...(status ? { status } : {}),
          }),
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

function runStatus(value: string): RunStatus {
  if ((RUN_STATUSES as readonly string[]).includes(value)) return value as RunStatus;
  throw invalid("--status", "is not a run status", value, `Use one of ${RUN_STATUSES.join(", ")}`);
}
