import { authorizeBaseRegistration, type CheckpointRow, registerBases } from "../checkpoints/index.ts";
import { BASE_STAGES, type BaseStage } from "../checkpoints/names.ts";
import { CrucibleError } from "../core/errors.ts";
import type { Principal } from "../policy/entities.ts";
import type { TrainerEvent } from "../protocol/types/events.gen.ts";
import { runTrainerCommand } from "../runners/local-runner.ts";
import type { Db } from "../store/db.ts";

/** The nano presets the trainer builds (`python -m crucible_trainer nano build --preset`). */
export const NANO_PRESETS = ["tiny", "demo"] as const;
export type NanoPreset = (typeof NANO_PRESETS)[number];

/**
 * Builds the nano family with the trainer (pre → mid → post, cached under `<home>/bases/nano-<preset>`,
 * so a second build of the same preset only re-announces it) and registers its three checkpoints
 * as `<family>@pre|mid|post`. `base.register` is checked (and audited) before the build starts,
 * so a caller who may not register wastes no minutes; each checkpoint is then verified and
 * registered in one governed transaction.
 * @example const [pre, mid, post] = await buildNanoBases(db, eli, { workspace, python, home, preset: "tiny" });
 */
export async function buildNanoBases(
  db: Db,
  caller: Principal,
  input: {
    workspace: string;
    python: string;
    home: string;
    preset: NanoPreset;
    family?: string;
    onEvent?: (event: TrainerEvent) => void;
    onLog?: (line: string) => void;
    signal?: AbortSignal;
  },
): Promise<CheckpointRow[]> {
  const family = input.family ?? "nano";
  await authorizeBaseRegistration(db, caller, input.workspace, {
    build: "nano",
    preset: input.preset,
    family,
  });
  const outcome = await runTrainerCommand(["nano", "build", "--preset", input.preset, "--home", input.home], {
    python: input.python,
    ...(input.onEvent ? { onEvent: input.onEvent } : {}),
    ...(input.onLog ? { onLog: input.onLog } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
  });
  if (outcome.status !== "succeeded")
    throw new CrucibleError(
      "failed_precondition",
      `the nano build ${outcome.status}${outcome.status === "failed" ? `: ${outcome.reason}` : ""}`,
      { field: "preset", value: input.preset, fix: "See the trainer's log above; fix it and build again" },
    );
  const byStage = new Map(outcome.checkpoints.map((c) => [stageOf(c.path), c]));
  const bases = BASE_STAGES.map((stage) => {
    const c = byStage.get(stage);
    if (!c)
      throw new CrucibleError("internal", `the nano build announced no ${stage} checkpoint`, {
        field: "preset",
        value: input.preset,
      });
    return { name: { family, stage }, path: c.path, manifestDigest: c.manifest_digest };
  });
  return registerBases(db, caller, { workspace: input.workspace, bases });
}

/** `<home>/bases/nano-<preset>/<stage>` → stage. */
function stageOf(path: string): BaseStage | undefined {
  const last = path.replace(/\/+$/, "").split("/").at(-1);
  return (BASE_STAGES as readonly string[]).includes(last ?? "") ? (last as BaseStage) : undefined;
}
