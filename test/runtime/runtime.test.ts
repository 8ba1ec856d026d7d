import { existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { trainerPython } from "../../src/runners/trainer-python.ts";
import { admitsOneProcess, workEmbeddedQueue } from "../../src/runs/work-in-process.ts";
import { createRuntime } from "../../src/runtime/runtime.ts";
import { describeEachStore } from "../support/stores.ts";

it("a runtime built from options wires the home's paths, the handlers and the keys, reading no environment", () => {
  const home = mkdtempSync(join(tmpdir(), "crucible-runtime-"));
  const runtime = createRuntime({ home, python: trainerPython(process.env), env: {}, owner: "test:1" });

  expect(runtime.home).toEqual({
    home,
    keysDir: join(home, "keys"),
    headsFile: join(home, "audit", "heads.jsonl"),
  });
  expect(runtime.isolation.kind).toBe("none");
  expect(runtime.worker.owner).toBe("test:1");
  expect(Object.keys(runtime.worker.handlers)).toEqual(["train_stage"]);
  expect(existsSync(runtime.home.keysDir)).toBe(false);
  const key = runtime.signingKey();
  expect(statSync(runtime.home.keysDir).mode & 0o777).toBe(0o700);
  expect([...runtime.verificationKeys().keys()]).toEqual([key.keyid]);
  expect(runtime.signedHeads(runtime.verificationKeys())).toEqual([]);
});

it("a runtime resolves the trainer's isolation only when asked (a process that works no jobs never does)", () => {
  let asked = 0;
  const runtime = createRuntime({
    home: mkdtempSync(join(tmpdir(), "crucible-runtime-")),
    python: "python3",
    env: {},
    isolation: () => {
      asked += 1;
      return { kind: "none", reason: "test" };
    },
  });
  expect(asked).toBe(0);
  expect(runtime.worker.handlers.train_stage).toBeTypeOf("function");
  expect(runtime.isolation).toEqual({ kind: "none", reason: "test" });
  expect(asked).toBe(1);
});

describeEachStore("who works the queue", (open, kind) => {
  it(`${kind}: the process that queues works the jobs only where the store admits one process`, async () => {
    const db = await open();
    try {
      const runtime = createRuntime({
        home: mkdtempSync(join(tmpdir(), "crucible-runtime-")),
        python: "python3",
        env: {},
      });
      const stop = new AbortController();
      const working = workEmbeddedQueue(db, { ...runtime.worker, signal: stop.signal });
      expect(admitsOneProcess(db)).toBe(kind === "pglite");
      expect(working === undefined).toBe(kind === "postgres");
      stop.abort();
      await working;
    } finally {
      await db.close();
    }
  });
});
