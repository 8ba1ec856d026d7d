import type { Command } from "commander";
import {
  checkpointJson,
  listCheckpoints,
  parseBaseName,
  registerBases,
  withStarters,
} from "../../checkpoints/index.ts";
import { invalid } from "../../core/errors.ts";
import { buildNanoBases, NANO_PRESETS, type NanoPreset } from "../../nano/nano-bases.ts";
import { trainerPython } from "../../runners/trainer-python.ts";
import { crucibleHome } from "../../store/open.ts";
import { checkpointsTable } from "../checkpoint-render.ts";
import type { RunAction } from "../command.ts";
import { commandWorkspace } from "../dataset-context.ts";
import { progressPrinter } from "../progress.ts";
import { withCaller } from "../session.ts";

type Ws = { workspace?: string };

/** `crucible base add|build|list`: the base checkpoints allowed in a workspace. */
export function registerBase(base: Command, run: RunAction): void {
  base
    .command("add")
    .description("register a local Hugging Face checkpoint directory that carries a Crucible manifest")
    .argument("<name>", "FAMILY@STAGE, e.g. olmo2@mid (STAGE: pre, mid or post)")
    .argument("<dir>", "checkpoint directory (safetensors, config, tokenizer, manifest.json)")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, name: string, dir: string, options: Ws) => {
        const parsed = parseBaseName(name, "name");
        const [row] = await withCaller(ctx, async (db, caller) => {
          const workspace = await commandWorkspace(db, caller, options.workspace);
          return withStarters(
            db,
            await registerBases(db, caller, { workspace, bases: [{ name: parsed, path: dir }] }),
          );
        });
        ctx.out.result(
          checkpointJson(row!),
          () => `registered base ${row!.name} (${row!.manifestDigest}, ${row!.id})`,
        );
      }),
    );

  base
    .command("build")
    .description(
      "build a base family with the trainer, offline, and register its pre, mid and post checkpoints",
    )
    .argument("<family>", "nano (the only family Crucible builds itself)")
    .option("--preset <preset>", `one of ${NANO_PRESETS.join(", ")}`, "demo")
    .option("--name <family>", "register the checkpoints as NAME@pre|mid|post", "nano")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, family: string, options: Ws & { preset: string; name: string }) => {
        if (family !== "nano")
          throw invalid(
            "family",
            "Crucible builds only the nano family",
            family,
            "Run `crucible base build nano`, or register other bases with `crucible base add`",
          );
        if (!(NANO_PRESETS as readonly string[]).includes(options.preset))
          throw invalid(
            "--preset",
            "unknown preset",
            options.preset,
            `Use one of ${NANO_PRESETS.join(", ")}`,
          );
        parseBaseName(`${options.name}@pre`, "--name");
        const { io } = ctx.out;
        const printers = new Map<string, ReturnType<typeof progressPrinter>>();
        const views = await withCaller(ctx, async (db, caller) => {
          const rows = await buildNanoBases(db, caller, {
            workspace: await commandWorkspace(db, caller, options.workspace),
            python: trainerPython(ctx.env),
            home: crucibleHome(ctx.env),
            preset: options.preset as NanoPreset,
            family: options.name,
            onEvent: (event) => {
              if (event.type !== "started" && event.type !== "progress") return;
              if (!printers.has(event.run_id))
                printers.set(
                  event.run_id,
                  progressPrinter((t) => io.stderr.write(t), event.run_id.replace(/^nano-/, ""), io.isTty),
                );
              printers.get(event.run_id)?.(event);
            },
          });
          return withStarters(db, rows);
        });
        ctx.out.result({ bases: views.map(checkpointJson) }, () => checkpointsTable(views));
      }),
    );

  base
    .command("list")
    .description("the base checkpoints registered in the workspace")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, options: Ws) => {
        const views = await withCaller(ctx, async (db, caller) =>
          listCheckpoints(db, caller, await commandWorkspace(db, caller, options.workspace), {
            kind: "base",
          }),
        );
        ctx.out.result({ bases: views.map(checkpointJson) }, () =>
          views.length
            ? checkpointsTable(views)
            : "no bases registered: `crucible base build nano` or `crucible base add NAME@STAGE DIR`",
        );
      }),
    );
}
