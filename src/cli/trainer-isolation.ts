import {
  processPrivileges,
  resolveTrainerUser,
  type TrainerIsolation,
  trainerIsolation,
} from "../runners/trainer-user.ts";

/**
 * How this process's workers isolate the trainer: the user named by `--trainer-user` (the
 * worker's flag) or CRUCIBLE_TRAINER_USER, where this process can switch to it.
 * @example const isolation = trainerIsolationOf(ctx.env, options.trainerUser);
 */
export function trainerIsolationOf(env: NodeJS.ProcessEnv, flag?: string): TrainerIsolation {
  const configured = flag ?? env.CRUCIBLE_TRAINER_USER;
  const user = configured ? resolveTrainerUser(configured) : undefined;
  return trainerIsolation(user, processPrivileges());
}
