import type { Command } from "commander";
import {
  addHfBase,
  checkpointJson,
  hasCrucibleManifest,
  listCheckpoints,
  parseBaseName,
  registerBases,
  type StoredBase,
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
    .description(
      "register a model you have on disk: a Hugging Face model directory or cache snapshot (copied into the home, manifest computed), or a Crucible checkpoint",
    )
    .argument("<name>", "FAMILY@STAGE, e.g. olmo2@mid (STAGE: pre, mid or post)")
    .argument(
      "<dir>",
      "model directory (config.json, safetensors, tokenizer), ~/.cache/huggingface/hub/models--ORG--NAME or its snapshots/REV",
    )
    .option(
      "--allow-pickle",
      "accept pickled pytorch_model.bin weights (loading a pickle can run arbitrary code)",
    )
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, name: string, dir: string, options: Ws & { allowPickle?: boolean }) => {
        const parsed = parseBaseName(name, "name");
        const { row, stored } = await withCaller(ctx, async (db, caller) => {
          const workspace = await commandWorkspace(db, caller, options.workspace);
          if (await hasCrucibleManifest(dir)) {
            const rows = await registerBases(db, caller, { workspace, bases: [{ name: parsed, path: dir }] });
            return { row: (await withStarters(db, rows))[0]!, stored: undefined };
          }
          const added = await addHfBase(db, caller, {
            workspace,
            home: crucibleHome(ctx.env),
            dir,
            name: parsed,
            allowPickle: options.allowPickle ?? false,
          });
          return { row: (await withStarters(db, [added.row]))[0]!, stored: added.stored };
        });
        ctx.out.result(
          { ...checkpointJson(row), ...(stored ? { imported: importedJson(stored) } : {}) },
          () =>
            `registered base ${row.name} (${row.manifestDigest}, ${row.id})${stored ? `\n${importedText(stored)}` : ""}`,
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

function importedJson(stored: StoredBase) {
  const { model, source } = stored;
  return {
    path: stored.path,
    model_type: model.modelType,
    architectures: model.architectures,
    parameters: model.parameters ?? null,
    dtypes: model.dtypes,
    chat_template: model.chatTemplate,
    repo: source.repo ?? null,
    revision: source.revision ?? null,
    left_out: stored.leftOut,
  };
}

function importedText(stored: StoredBase): string {
  const { model, source } = stored;
  const params =
    model.parameters === undefined
      ? "pickled weights"
      : `${model.parameters.toLocaleString("en-US")} parameters`;
  const origin = source.repo
    ? ` from ${source.repo}${source.revision ? `@${source.revision.slice(0, 12)}` : ""}`
    : "";
  return [
    `  ${model.modelType} (${model.architectures.join(", ") || "no architectures listed"}), ${params}${origin}`,
    `  stored in ${stored.path}${model.chatTemplate ? "" : " (no chat template: sft on chat data will need one)"}`,
    ...(stored.leftOut.length
      ? [`  left out (never loaded by the trainer): ${stored.leftOut.join(", ")}`]
      : []),
  ].join("\n");
}
