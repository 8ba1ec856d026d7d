import { CrucibleError } from "../core/errors.ts";

/** The parts of a lease the error names (kept structural so queue.ts and this file stay acyclic). */
interface LeaseRef {
  jobId: number;
  fence: number;
  owner: string;
}

/**
 * A write for a job was refused because the lease it carried is no longer current: another
 * worker took the job over (the fence moved) or the job ended. Code `failed_precondition`; the
 * worker that sees it must stop working on the job, and nothing it tried to write was written.
 */
export class LeaseLostError extends CrucibleError {
  readonly jobId: number;

  constructor(lease: LeaseRef, now: { fence: number; status: string } | null) {
    const state = now ? `fence ${now.fence}, status ${now.status}` : "the job no longer exists";
    super(
      "failed_precondition",
      `lease lost: job ${lease.jobId} was leased by ${lease.owner} with fence ${lease.fence}, and is now at ${state}`,
      {
        field: "jobs.fence",
        value: lease.fence,
        fix: "stop working on this job; the worker holding the current lease resumes it from its last checkpoint",
      },
    );
    this.name = "LeaseLostError";
    this.jobId = lease.jobId;
  }
}
