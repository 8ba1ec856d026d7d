/**
 * How an idle worker waits: until a NOTIFY from `enqueue`, the poll interval, or its stop signal.
 * The LISTEN behind the NOTIFY is kept up: when the server drops its connection, the next round
 * of the worker listens again (polling covers the gap, so no job is missed, only noticed later).
 */
import type { Db } from "../store/db.ts";
import { JOBS_CHANNEL } from "./queue.ts";

/** An idle wait that a notification, the poll interval or the stop signal ends. */
export class Wakeup {
  private notified = false;
  private wake: (() => void) | undefined;

  notify(): void {
    this.notified = true;
    this.wake?.();
  }

  /** Forgets notifications seen so far: the lease about to be tried covers them. */
  clear(): void {
    this.notified = false;
  }

  wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.notified || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
      this.wake = done;
    });
  }
}

/**
 * The worker's LISTEN on the jobs channel, for its store's schema.
 * @example const listener = new JobsListener(db, wakeup); await listener.start(); ... await listener.close();
 */
export class JobsListener {
  private stop: (() => Promise<void>) | undefined;
  private lost = false;

  constructor(
    private readonly db: Db,
    private readonly wakeup: Wakeup,
  ) {}

  /** Listens; a store that cannot be reached fails the worker's start. */
  async start(): Promise<void> {
    this.stop = await this.subscribe();
  }

  /** Listens again if the connection was lost; while the store is away, leaves the worker polling. */
  async keep(): Promise<void> {
    if (!this.lost) return;
    this.lost = false;
    const old = this.stop;
    this.stop = undefined;
    await old?.().catch(() => undefined);
    this.stop = await this.subscribe().catch(() => {
      this.lost = true; // try again next round
      return undefined;
    });
  }

  async close(): Promise<void> {
    await this.stop?.().catch(() => undefined);
    this.stop = undefined;
  }

  private subscribe(): Promise<() => Promise<void>> {
    return this.db.listen(
      JOBS_CHANNEL,
      (schema) => {
        if (schema === this.db.schema) this.wakeup.notify();
      },
      () => {
        this.lost = true;
        this.wakeup.notify(); // listen again at once rather than after the poll interval
      },
    );
  }
}
