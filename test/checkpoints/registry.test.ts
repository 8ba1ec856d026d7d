import { appendFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import {
  registerRunCheckpoint,
  resolveCheckpoint,
  verifyCheckpointDir,
} from "../../src/checkpoints/index.ts";
import { bootstrap } from "../../src/identity/workspaces.ts";
import type { Db } from "../../src/store/db.ts";
import { rejection } from "../identity/support.ts";
import { describeEachStore } from "../support/stores.ts";
import { copyCheckpoint, insertRun, type TrainedFixture, trainTinyRun } from "./fixture.ts";

let fx: TrainedFixture;
beforeAll(async () => {
  fx = await trainTinyRun();
}, 180_000);

const last = () => fx.checkpoints.at(-1)!;

async function world(db: Db) {
  const { workspace, admin } = await bootstrap(db, { workspace: "acme", admin: "root" });
  const runId = await insertRun(db, { workspace, name: "acme-cpt", starter: admin });
  const register = (c = last(), overrides: Partial<Parameters<typeof registerRunCheckpoint>[1]> = {}) =>
    db.transaction((tx) =>
      registerRunCheckpoint(tx, {
        workspace,
        runId,
        runName: "acme-cpt",
        stage: "cpt",
        stageIdx: 0,
        step: c.step,
        final: c.final,
        path: c.path,
        manifestDigest: c.manifestDigest,
        parentId: null,
        registeredBy: `workload:${runId}`,
        ...overrides,
      }),
    );
  return { workspace, admin, runId, register };
}

describeEachStore("checkpoint registry", (open) => {
  it("registers a run's checkpoint under <run>/<stage>/step-N with the run -> checkpoint edge, idempotently", async () => {
    const db = await open();
    try {
      const { workspace, runId, register } = await world(db);
      const row = await register();
      expect(row).toMatchObject({
        workspace,
        kind: "run",
        name: `acme-cpt/cpt/step-${last().step}`,
        runId,
        stageIdx: 0,
        step: last().step,
        final: true,
        status: "candidate",
        manifestDigest: last().manifestDigest,
      });
      expect(row.manifest.stage).toBe("cpt");
      expect(row.manifest.files.map((f) => f.path)).toContain("model.safetensors");
      const again = await register();
      expect(again.id).toBe(row.id);
      const edges = await db.query("SELECT from_kind, from_id, to_kind, to_id FROM lineage_edges");
      expect(edges.rows).toEqual([
        { from_kind: "run", from_id: runId, to_kind: "checkpoint", to_id: row.id },
      ]);
      expect((await resolveCheckpoint(db, workspace, row.name)).id).toBe(row.id);
      expect((await resolveCheckpoint(db, workspace, row.id)).name).toBe(row.name);
    } finally {
      await db.close();
    }
  });

  it("records parent checkpoint -> checkpoint and refuses a second manifest under a taken name", async () => {
    const db = await open();
    try {
      const { register } = await world(db);
      const first = await register(fx.checkpoints[0]!);
      const second = await register(last(), { parentId: first.id });
      expect(second.parentId).toBe(first.id);
      const edges = await db.query("SELECT from_id FROM lineage_edges WHERE to_id = $1 ORDER BY from_kind", [
        second.id,
      ]);
      expect(edges.rows.length).toBe(2);
      const err = await rejection(register(fx.checkpoints[0]!, { step: last().step }));
      expect(err.message).toMatch(/says cpt step 2, the event said cpt step 4/);
      // the same files under a re-written manifest: a new digest for a name already taken
      const other = copyCheckpoint(fx.checkpoints[0]!.path);
      const manifest = JSON.parse(readFileSync(join(other, "manifest.json"), "utf8"));
      writeFileSync(
        join(other, "manifest.json"),
        JSON.stringify({ ...manifest, created_at: "2020-01-01T00:00:00Z" }),
      );
      const digest = (await verifyCheckpointDir(other)).manifestDigest;
      const taken = await rejection(register({ ...fx.checkpoints[0]!, path: other, manifestDigest: digest }));
      expect(taken.code).toBe("already_exists");
      expect(taken.message).toContain(
        `acme-cpt/cpt/step-2 is already registered with manifest ${first.manifestDigest}`,
      );
    } finally {
      await db.close();
    }
  });

  it("refuses a checkpoint of a run in another workspace, and an unknown reference with the fix", async () => {
    const db = await open();
    try {
      const { workspace, register } = await world(db);
      const err = await rejection(register(last(), { workspace: "ws_elsewhere" }));
      expect(err.code).toBe("not_found");
      const missing = await rejection(resolveCheckpoint(db, workspace, "nano@mid"));
      expect(missing.code).toBe("not_found");
      expect(missing.message).toMatch(/crucible base add nano@mid DIR/);
      expect((await db.query("SELECT count(*)::int AS n FROM checkpoints")).rows[0]).toEqual({ n: 0 });
    } finally {
      await db.close();
    }
  });

  it("refuses a tampered checkpoint before anything is written", async () => {
    const db = await open();
    try {
      const { register } = await world(db);
      const dir = copyCheckpoint(last().path);
      const weights = join(dir, "model.safetensors");
      const bytes = readFileSync(weights);
      bytes[bytes.length - 1]! ^= 1;
      writeFileSync(weights, bytes);
      const err = await rejection(register({ ...last(), path: dir }));
      expect(err.code).toBe("failed_precondition");
      expect(err.message).toMatch(
        /model\.safetensors was modified: manifest sha256:[0-9a-f]{64}, found sha256:[0-9a-f]{64}/,
      );
      expect((await db.query("SELECT count(*)::int AS n FROM checkpoints")).rows[0]).toEqual({ n: 0 });
      expect((await db.query("SELECT count(*)::int AS n FROM lineage_edges")).rows[0]).toEqual({ n: 0 });
    } finally {
      await db.close();
    }
  });
});

it("verifyCheckpointDir names the file and both digests for a flipped byte, an added file, a removed file and an edited manifest", async () => {
  const good = await verifyCheckpointDir(last().path, last().manifestDigest);
  expect(good.manifestDigest).toBe(last().manifestDigest);
  expect(good.manifest.step).toBe(last().step);

  const flipped = copyCheckpoint(last().path);
  const cfg = join(flipped, "config.json");
  const text = readFileSync(cfg);
  text[0]! ^= 1;
  writeFileSync(cfg, text);
  await expect(verifyCheckpointDir(flipped)).rejects.toThrow(
    /config\.json was modified: manifest sha256:[0-9a-f]{64}, found sha256:[0-9a-f]{64}/,
  );

  const added = copyCheckpoint(last().path);
  writeFileSync(join(added, "extra.bin"), "not from the trainer");
  await expect(verifyCheckpointDir(added)).rejects.toThrow(
    /extra\.bin is not listed in the manifest \(found sha256:[0-9a-f]{64}\)/,
  );

  const removed = copyCheckpoint(last().path);
  rmSync(join(removed, "model.safetensors"));
  await expect(verifyCheckpointDir(removed)).rejects.toThrow(
    /model\.safetensors is missing \(manifest sha256:[0-9a-f]{64}\)/,
  );

  const edited = copyCheckpoint(last().path);
  appendFileSync(join(edited, "manifest.json"), " ");
  const err = await rejection(verifyCheckpointDir(edited, last().manifestDigest));
  expect(err.message).toContain(`manifest.json was edited: expected ${last().manifestDigest}, found sha256:`);
  // an edit that keeps the JSON valid but changes a listed digest is caught by the rehash
  const forged = copyCheckpoint(last().path);
  const manifest = JSON.parse(readFileSync(join(forged, "manifest.json"), "utf8"));
  manifest.files[0].sha256 = "0".repeat(64);
  writeFileSync(join(forged, "manifest.json"), JSON.stringify(manifest));
  await expect(verifyCheckpointDir(forged)).rejects.toThrow(
    new RegExp(`${manifest.files[0].path.replace(".", "\\.")} was modified: manifest sha256:0{64}, found`),
  );

  const schemaBroken = copyCheckpoint(last().path);
  writeFileSync(join(schemaBroken, "manifest.json"), JSON.stringify({ ...manifest, step: -1 }));
  const bad = await rejection(verifyCheckpointDir(schemaBroken));
  expect(bad.code).toBe("invalid_argument");
  expect(bad.message).toMatch(/manifest\.json \$\.step/);
  const none = await rejection(verifyCheckpointDir(join(fx.root, "nowhere")));
  expect(none.code).toBe("invalid_argument");
});
