/**
 * The job handlers `crucible worker` runs, one per job kind. The worker leases only the kinds
 * registered here, so a kind without a handler waits in the queue for a worker that has one.
 */
import type { JobKind } from "../queue/queue.ts";
import type { JobHandler } from "../queue/worker.ts";
import type { TrainerUser } from "../runners/trainer-user.ts";
import { trainStageHandler } from "./train-stage.ts";

/** What handlers need from the worker's entry point (only entry points read the environment). */
export interface HandlerDeps {
  /** The Python interpreter that runs the trainer. */
  python: string;
  /** The Crucible home (checkpoints and run directories live under it in embedded mode). */
  home: string;
  /** The worker's environment; the trainer inherits only its allowlisted variables (trainer-env.ts). */
  env: NodeJS.ProcessEnv;
  /** The user the trainer runs as, where the worker can switch to it (trainer-user.ts). */
  trainerUser?: TrainerUser;
}

/**
 * The registry: one handler per job kind.
 * @example await runWorker(db, { owner, handlers: jobHandlers({ python, home, env }) });
 */
export function jobHandlers(deps: HandlerDeps): Record<JobKind, JobHandler> {
  return { train_stage: trainStageHandler(deps) };
}
