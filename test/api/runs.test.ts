import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { buildApi } from "../../src/api/server.ts";
import { ArtifactStore } from "../../src/data/service/artifacts.ts";
import { createToken } from "../../src/identity/tokens.ts";
import { PROTOCOL_DIR } from "../../src/protocol/schemas.ts";
import { runWorker } from "../../src/queue/worker.ts";
import { trainerPython } from "../../src/runners/trainer-python.ts";
import { jobHandlers } from "../../src/runs/handlers.ts";
import { nanoTinyHome, seedAcmeWorkspace } from "../support/nano.ts";
import { describeEachStore } from "../support/stores.ts";
import { conforms } from "./conforms.ts";

let nanoHome: string;
beforeAll(() => {
  nanoHome = nanoTinyHome();
}, 600_000);

/** recipes/cpt-acme-30-70.yaml, 6 small steps on one CPU thread. */
function cptRecipe(): string {
  const doc = parseDocument(readFileSync(join(PROTOCOL_DIR, "..", "recipes", "cpt-acme-30-70.yaml"), "utf8"));
  doc.setIn(["hyperparameters", "budget", "steps"], 6);
  doc.setIn(["hyperparameters", "batch_size"], 2);
  doc.setIn(["checkpoint", "every_steps"], 3);
  doc.set("runtime", { device: "cpu", threads: 1 });
  return doc.toString();
}

/** Reads a text/event-stream response to its end: each event's id, name and parsed data. */
async function readSse(
  res: Response,
): Promise<{ id?: string; event: string; data: Record<string, unknown> }[]> {
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const fields = Object.fromEntries(
        block
          .split("\n")
          .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1).trim()]),
      );
      return {
        ...(fields.id ? { id: fields.id } : {}),
        event: fields.event ?? "message",
        data: JSON.parse(fields.data ?? "{}"),
      };
    });
}

describeEachStore("runs over HTTP", (open) => {
  it("starts a recipe (201), lists, shows, streams its events live over SSE, resumable by Last-Event-ID", async () => {
    const db = await open();
    try {
      const home = mkdtempSync(join(tmpdir(), "crucible-api-runs-"));
      const ws = await seedAcmeWorkspace(db, {
        nanoHome,
        artifacts: new ArtifactStore(join(home, "artifacts")),
        acmeDir: join(home, "acme-src"),
      });
      const api = buildApi(db);
      const token = async (p: typeof ws.eli) =>
        (await createToken(db, { principal: p, subject: p.id, lifetimeS: 3600 })).secret;
      const auth = { eli: await token(ws.eli), dana: await token(ws.dana) };
      const call = async (method: string, path: string, as: keyof typeof auth, body?: unknown) => {
        const res = await api.request(path, {
          method,
          headers: { "content-type": "application/json", authorization: `Bearer ${auth[as]}` },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };

      const bad = await call("POST", "/v1/workspaces/acme/runs", "eli", { recipe: "name: x\nstage: cpt\n" });
      expect(bad.status).toBe(400);
      await conforms(api, "post", "/v1/workspaces/{workspace}/runs", bad);
      const issues = (bad.body.error as { issues: { path: string; line: number }[] }).issues;
      expect(issues.map((i) => i.path)).toEqual(
        expect.arrayContaining(["$.base", "$.data", "$.hyperparameters"]),
      );
      const denied = await call("POST", "/v1/workspaces/acme/runs", "dana", { recipe: cptRecipe() });
      expect(denied.status).toBe(403);
      await conforms(api, "post", "/v1/workspaces/{workspace}/runs", denied);

      const started = await call("POST", "/v1/workspaces/acme/runs", "eli", { recipe: cptRecipe() });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      await conforms(api, "post", "/v1/workspaces/{workspace}/runs", started);
      expect(started.body).toMatchObject({
        name: "cpt-acme-30-70-1",
        status: "queued",
        base: { name: "nano@mid" },
      });

      // the stream is opened before any work is done: it is live, not a replay
      const stream = api.request(`/v1/workspaces/acme/runs/${started.body.id}/events`, {
        headers: { authorization: `Bearer ${auth.eli}` },
      });
      const worked = runWorker(db, {
        owner: "api-test",
        handlers: jobHandlers({ python: trainerPython(process.env), home, env: process.env }),
        drain: true,
      });
      const res = await stream;
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const events = await readSse(res);
      expect(await worked).toEqual({ jobs: 1 });
      const types = events.map((e) => e.event);
      expect(types[0]).toBe("started");
      expect(types.filter((t) => t === "progress")).toHaveLength(6);
      expect(types.slice(-2)).toEqual(["finished", "end"]);
      expect(events.at(-1)!.data).toEqual({ status: "succeeded" });
      const ids = events.filter((e) => e.id).map((e) => Number(e.id));
      expect(ids).toEqual(ids.map((_, i) => i + 1));
      for (const e of events)
        await conforms(
          api,
          "get",
          "/v1/workspaces/{workspace}/runs/{run}/events",
          { status: 200, body: e.data },
          "text/event-stream",
        );

      const resumed = await readSse(
        await api.request(`/v1/workspaces/acme/runs/cpt-acme-30-70-1/events`, {
          headers: { authorization: `Bearer ${auth.eli}`, "last-event-id": "5" },
        }),
      );
      expect(resumed.filter((e) => e.id).map((e) => Number(e.id))).toEqual(ids.filter((id) => id > 5));

      const shown = await call("GET", "/v1/workspaces/acme/runs/cpt-acme-30-70-1", "eli");
      await conforms(api, "get", "/v1/workspaces/{workspace}/runs/{run}", shown);
      expect(shown.body).toMatchObject({
        status: "succeeded",
        stages: [{ stage: "cpt", status: "succeeded" }],
      });
      const listed = await call("GET", "/v1/workspaces/acme/runs", "eli");
      await conforms(api, "get", "/v1/workspaces/{workspace}/runs", listed);
      expect((listed.body.runs as { name: string }[]).map((r) => r.name)).toEqual(["cpt-acme-30-70-1"]);
      const late = await call("POST", "/v1/workspaces/acme/runs/cpt-acme-30-70-1/cancel", "eli");
      expect(late.status).toBe(409);
      await conforms(api, "post", "/v1/workspaces/{workspace}/runs/{run}/cancel", late);

      const queued = await call("POST", "/v1/workspaces/acme/runs", "eli", { recipe: cptRecipe() });
      const cancelled = await call("POST", `/v1/workspaces/acme/runs/${queued.body.name}/cancel`, "eli");
      expect(cancelled.status).toBe(200);
      await conforms(api, "post", "/v1/workspaces/{workspace}/runs/{run}/cancel", cancelled);
      expect(cancelled.body).toMatchObject({ name: "cpt-acme-30-70-2", status: "cancelled" });
    } finally {
      await db.close();
    }
  }, 240_000);
});
