import { invalid } from "../core/errors.ts";

/** What a worker can do with a job. A closed union: a new kind is added here and in handlers.ts. */
export const JOB_KINDS = ["train_stage"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** The fields of NewJob that a caller can get wrong (queue.ts owns the full interface). */
interface JobInput {
  workspace: string;
  kind: string;
  stageIdx?: number;
  maxAttempts?: number;
  runAfter?: Date;
}

/**
 * Refuses a job that the table would refuse less clearly, naming the field and the fix.
 * @example validateNewJob({ workspace: "ws_1", kind: "train_stage" });
 */
export function validateNewJob(job: JobInput): void {
  if (!(JOB_KINDS as readonly string[]).includes(job.kind)) {
    throw invalid("kind", "unknown job kind", job.kind, `use one of ${JOB_KINDS.join(", ")}`);
  }
  if (job.workspace.length === 0) {
    throw invalid("workspace", "a job belongs to a workspace", job.workspace, "pass the workspace id");
  }
  if (job.stageIdx !== undefined && !(Number.isInteger(job.stageIdx) && job.stageIdx >= 0)) {
    throw invalid(
      "stageIdx",
      "must be an integer >= 0",
      job.stageIdx,
      "pass the stage's index in the recipe",
    );
  }
  if (job.maxAttempts !== undefined && !(Number.isInteger(job.maxAttempts) && job.maxAttempts >= 1)) {
    throw invalid(
      "maxAttempts",
      "must be an integer >= 1",
      job.maxAttempts,
      "leave it out for the default of 3",
    );
  }
  if (job.runAfter !== undefined && Number.isNaN(job.runAfter.getTime())) {
    throw invalid(
      "runAfter",
      "must be a valid date",
      String(job.runAfter),
      "pass a Date, or leave it out for now",
    );
  }
}
