import type { TrainerEvent } from "../protocol/types/events.gen.ts";
import type { Queryable } from "../store/db.ts";
import { appendRunEvents, appendRunLogs } from "./events.ts";

type CheckpointEvent = Extract<TrainerEvent, { type: "checkpoint" }>;

export interface IngestOptions {
  runId: string;
  stageIdx: number;
  /** One fenced transaction (the worker's lease must still be current). */
  fenced: <T>(fn: (tx: Queryable) => Promise<T>) => Promise<T>;
  /** Registers a checkpoint event inside the batch's transaction. */
  onCheckpoint: (tx: Queryable, event: CheckpointEvent) => Promise<void>;
  /** Longest a line waits before it is written (default 250 ms). */
  flushMs?: number;
  /** Write as soon as this many lines wait (default 200). */
  maxBatch?: number;
  /**
   * Told once, at the first failed write: what the trainer does after it goes unrecorded, so
   * the caller stops the trainer rather than let it run on.
   */
  onFailure?: (err: unknown) => void;
}

/**
 * Collects a trainer's events and log lines and writes them in batches, each batch in one fenced
 * transaction (events, logs and checkpoint registrations together), in the order they came. A
 * failed write (a lost lease, a checkpoint that fails verification) is reported to `onFailure`,
 * kept and rethrown by `close`; later batches are dropped.
 * @example const ingest = new RunIngest({ runId, stageIdx, fenced: ctx.fenced, onCheckpoint }); ...; await ingest.close();
 */
export class RunIngest {
  private events: TrainerEvent[] = [];
  private logs: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(private readonly options: IngestOptions) {}

  event(event: TrainerEvent): void {
    this.events.push(event);
    this.schedule();
  }

  log(line: string): void {
    this.logs.push(line);
    this.schedule();
  }

  /** Writes what is left and waits for every write; throws the first write's failure. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
    await this.chain;
    if (this.failure !== undefined) throw this.failure;
  }

  private schedule(): void {
    if (this.events.length + this.logs.length >= (this.options.maxBatch ?? 200)) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.flush();
    } else
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, this.options.flushMs ?? 250);
  }

  private flush(): void {
    const events = this.events;
    const logs = this.logs;
    if (events.length === 0 && logs.length === 0) return;
    this.events = [];
    this.logs = [];
    const { runId, stageIdx } = this.options;
    this.chain = this.chain.then(async () => {
      if (this.failure !== undefined) return;
      try {
        await this.options.fenced(async (tx) => {
          await appendRunEvents(tx, runId, stageIdx, events);
          await appendRunLogs(tx, runId, stageIdx, logs);
          for (const e of events) if (e.type === "checkpoint") await this.options.onCheckpoint(tx, e);
        });
      } catch (err) {
        this.failure = err;
        this.options.onFailure?.(err);
      }
    });
  }
}
