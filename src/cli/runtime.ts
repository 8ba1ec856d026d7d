import { trainerPython } from "../jobs/trainer-python.ts";
import { createRuntime, type Runtime } from "../runtime/runtime.ts";
import { crucibleHome } from "../store/open.ts";
import { trainerIsolationOf } from "./trainer-isolation.ts";

/**
 * The process's runtime from its environment: $CRUCIBLE_HOME, $CRUCIBLE_PYTHON and the trainer
 * user (`--trainer-user`, else $CRUCIBLE_TRAINER_USER). The one place the CLI reads them for
 * `run`, `worker`, `serve` and `demo`.
 * @example const runtime = runtimeFromEnv(ctx.env, { trainerUser: options.trainerUser });
 */
export function runtimeFromEnv(env: NodeJS.ProcessEnv, flags: { trainerUser?: string } = {}): Runtime {
  return createRuntime({
    home: crucibleHome(env),
    python: trainerPython(env),
    env,
    isolation: () => trainerIsolationOf(env, flags.trainerUser),
  });
}
