import { authorizeGeneration, type CheckpointView, type GenerationUse } from "../checkpoints/index.ts";
import type { Token } from "../protocol/types/generation-events.gen.ts";
import { GenerationSession } from "../runners/generation-session.ts";
import { sealHome } from "../runners/trainer-dirs.ts";
import { trainerPython } from "../runners/trainer-python.ts";
import type { CommandContext } from "./command.ts";
import { commandWorkspace } from "./dataset-context.ts";
import type { DecodingChoice } from "./decoding-options.ts";
import { runtimeFromEnv } from "./runtime.ts";
import { withCaller } from "./session.ts";

/**
 * What `generate` and `chat` share: `checkpoint.generate` decided and audited (the store closed
 * again, so an embedded store is not held while the model runs), then the trainer's generation
 * session opened on the checkpoint with the isolation of training (allowlisted environment, the
 * trainer user where this process can switch to it).
 * @example const { view, session } = await openGeneration(ctx, { ref, use, choice });
 */
export async function openGeneration(
  ctx: CommandContext,
  input: { ref: string; workspace?: string; use: GenerationUse; choice: DecodingChoice },
): Promise<{ view: CheckpointView; session: GenerationSession }> {
  const view = await withCaller(ctx, async (db, caller) =>
    authorizeGeneration(
      db,
      caller,
      await commandWorkspace(db, caller, input.workspace),
      input.ref,
      input.use,
    ),
  );
  const runtime = runtimeFromEnv(ctx.env);
  const isolation = runtime.isolation;
  if (isolation.kind === "user") sealHome(runtime.home.home);
  const started = Date.now();
  const session = await GenerationSession.open({
    python: trainerPython(ctx.env),
    checkpoint: view.path,
    device: input.choice.device,
    ...(input.choice.threads ? { threads: input.choice.threads } : {}),
    inherit: ctx.env,
    ...(isolation.kind === "user" ? { runAs: isolation.user } : {}),
    ...(ctx.env.CRUCIBLE_DEBUG ? { onLog: (line: string) => ctx.out.info(`trainer: ${line}`) } : {}),
  });
  const { decoding } = input.choice;
  const sampling =
    decoding.temperature === 0
      ? "greedy"
      : `temperature ${decoding.temperature}, top-p ${decoding.top_p}, seed ${decoding.seed}`;
  ctx.out.info(
    `${view.name}: ${session.ready.model_type} on ${session.ready.device}, ready in ${((Date.now() - started) / 1000).toFixed(1)}s; ${sampling}`,
  );
  return { view, session };
}

/**
 * Writes streamed pieces of one answer as they come, from its first visible character on.
 * @example await session.generate(request, streamTo((text) => process.stdout.write(text)));
 */
export function streamTo(write: (text: string) => void): (token: Token) => void {
  let started = false;
  return (token) => {
    const text = started ? token.text : token.text.trimStart();
    started ||= text !== "";
    if (text) write(text);
  };
}
