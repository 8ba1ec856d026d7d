import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { enqueue } from "../../src/queue/queue.ts";
import { runWorker, type WorkerEvent } from "../../src/queue/worker.ts";
import type { Db } from "../../src/store/db.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { testStoreOpener } from "../support/stores.ts";
import { type Seeded, seedRuns } from "./support/seed.ts";

// A worker reaches the real server through a TCP relay that the test cuts and restores: the
// server going away (a restart, a network partition) without touching the shared server itself.
const url = inject("postgresUrl");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: URL) {}

  async open(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = tcpConnect(Number(this.target.port || 5432), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, "127.0.0.1", resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Drops every connection and refuses new ones until `open` again. */
  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server?.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  urlFor(): string {
    const relayed = new URL(this.target.href);
    relayed.hostname = "127.0.0.1";
    relayed.port = String(this.port);
    return relayed.href;
  }
}

describe.skipIf(!url)("worker when the PostgreSQL server goes away", () => {
  let direct: Db;
  let relayed: Db;
  let relay: Relay;
  let seed: Seeded;
  beforeEach(async () => {
    direct = await testStoreOpener("postgres")();
    seed = await seedRuns(direct, 0);
    relay = new Relay(new URL(url!));
    await relay.open();
    relayed = await openPostgres({ connectionString: relay.urlFor(), schema: direct.schema, max: 3 });
  });
  afterEach(async () => {
    await relay.cut();
    await relayed.close().catch(() => undefined);
    await direct.close();
  });

  const enqueueOne = () =>
    direct.transaction((tx) => enqueue(tx, { workspace: seed.workspace, kind: "train_stage" }));

  it("survives the store being unreachable: reports store errors, then works the queue again", async () => {
    const stop = new AbortController();
    const events: WorkerEvent[] = [];
    const worker = runWorker(relayed, {
      owner: "w",
      pollMs: 100,
      signal: stop.signal,
      handlers: { train_stage: async () => undefined },
      onEvent: (e) => {
        events.push(e);
        if (e.event === "ended") stop.abort();
      },
    });
    await sleep(200);
    await relay.cut();
    for (let i = 0; i < 100 && events.filter((e) => e.event === "store_error").length < 2; i++)
      await sleep(50);
    const errors = events.filter((e) => e.event === "store_error");
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors[1]!.event === "store_error" && errors[1]!.retryInMs).toBeGreaterThan(
      errors[0]!.event === "store_error" ? errors[0]!.retryInMs : 0,
    );
    await relay.open();
    const id = await enqueueOne();
    await expect(worker).resolves.toEqual({ jobs: 1 });
    expect(events.at(-1)).toMatchObject({ event: "ended", end: "succeeded", lease: { jobId: id } });
  });

  it("listens again after its LISTEN connection is dropped, so a NOTIFY still wakes it long before its poll", async () => {
    const stop = new AbortController();
    const ended: number[] = [];
    const worker = runWorker(relayed, {
      owner: "w",
      pollMs: 60_000,
      signal: stop.signal,
      handlers: { train_stage: async () => undefined },
      onEvent: (e) => {
        if (e.event !== "ended") return;
        ended.push(e.lease.jobId);
        stop.abort();
      },
    });
    await sleep(300); // idle, listening
    await relay.cut();
    await relay.open();
    await sleep(1500); // the listener noticed and listened again through the relay
    const id = await enqueueOne();
    const outcome = await Promise.race([
      worker.then(() => "worked"),
      sleep(10_000).then(() => "still waiting after 10 s"),
    ]);
    stop.abort();
    expect(outcome).toBe("worked");
    expect(ended).toEqual([id]);
  });
});
