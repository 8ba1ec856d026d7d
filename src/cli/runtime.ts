import { trainerPython } from "../runners/trainer-python.ts";
import { createRuntime, type Runtime, type RuntimeOptions } from "../runtime/runtime.ts";
import { crucibleHome } from "../store/open.ts";
import { trainerIsolationOf } from "./trainer-isolation.ts";

/**
 * The process's runtime options from its environment: $CRUCIBLE_HOME, $CRUCIBLE_PYTHON and the
 * trainer user (`--trainer-user`, else $CRUCIBLE_TRAINER_USER, resolved when a worker is first
 * wired). The one place the CLI reads them for `run`, `worker`, `serve` and `demo`.
 * @example runDemo({ ...runtimeOptionsFromEnv(ctx.env), fast: true, say });
 */
export function runtimeOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  flags: { trainerUser?: string } = {},
): RuntimeOptions {
  return {
    home: crucibleHome(env),
    python: trainerPython(env),
    env,
    isolation: () => trainerIsolationOf(env, flags.trainerUser),
  };
}

/**
 * The process's runtime (see runtimeOptionsFromEnv).
 * @example const runtime = runtimeFromEnv(ctx.env, { trainerUser: options.trainerUser });
 */
export function runtimeFromEnv(env: NodeJS.ProcessEnv, flags: { trainerUser?: string } = {}): Runtime {
  return createRuntime(runtimeOptionsFromEnv(env, flags));
}
