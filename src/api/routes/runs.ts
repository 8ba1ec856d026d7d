import { invalid } from "../../core/errors.ts";
import type { Authenticated } from "../../identity/authenticated.ts";
import { visibleWorkspace } from "../../identity/tenancy.ts";
import { checkRecipe, parseRecipe } from "../../runs/recipe.ts";
import { followRun } from "../../runs/run-follow.ts";
import { runDetailsJson, runJson } from "../../runs/run-json.ts";
import { listRuns, showRun } from "../../runs/run-read.ts";
import { cancelRun, startRun } from "../../runs/runs.ts";
import type { Db } from "../../store/db.ts";
import type { Route } from "../route.ts";
import { arr, int, obj, str } from "../schemas.ts";

const STAGE = { type: "object", required: ["idx", "stage", "status"] };
const RUN = {
  type: "object",
  required: ["id", "name", "status", "target", "recipe_digest", "started_by", "created_at", "stages"],
  properties: {
    id: str(),
    name: str(),
    status: str({ enum: ["queued", "running", "succeeded", "failed", "cancelled"] }),
    target: str(),
    recipe_digest: str(),
    stages: arr(STAGE),
  },
};
const DETAILS = {
  ...RUN,
  required: [...RUN.required, "datasets", "checkpoints", "base", "last_seq"],
  properties: {
    ...RUN.properties,
    datasets: arr(obj({ id: str(), ref: str(), tokens: { type: ["integer", "null"] } })),
    checkpoints: arr({
      type: "object",
      required: ["id", "name", "stage_idx", "step", "final", "manifest_digest"],
    }),
    last_seq: int(),
  },
};
/** One event of GET …/runs/{run}/events: a trainer event with its seq, or the run's end. */
const EVENT = {
  type: "object",
  properties: { seq: int(), stage_idx: int(), event: { type: "object" }, status: str() },
};

function lastEventId(headers: Record<string, string>, query: Record<string, string>): number {
  const text = headers["last-event-id"] ?? query.after ?? "0";
  const seq = Number(text);
  if (!Number.isSafeInteger(seq) || seq < 0)
    throw invalid(
      "Last-Event-ID",
      "is not an event seq",
      text,
      "Send the id of the last event received, or leave it out",
    );
  return seq;
}

/** Runs over HTTP: start a recipe, list, show, cancel, and stream a run's events live (SSE). */
export function runRoutes(db: Db): Route<Authenticated>[] {
  return [
    {
      method: "post",
      path: "/v1/workspaces/{workspace}/runs",
      operationId: "startRun",
      summary: "check a recipe's inputs against policy and queue it (`crucible worker`s run it)",
      tag: "runs",
      auth: "bearer",
      body: obj(
        { recipe: { type: ["object", "string"], description: "the recipe: a document, or its YAML text" } },
        { target: str({ enum: ["local", "torchrun", "kubernetes"] }), nproc_per_node: int({ minimum: 1 }) },
      ),
      response: DETAILS,
      status: 201,
      handler: async ({ caller, params, body }) => {
        const input = body as {
          recipe: unknown;
          target?: "local" | "torchrun" | "kubernetes";
          nproc_per_node?: number;
        };
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        const plan = typeof input.recipe === "string" ? parseRecipe(input.recipe) : checkRecipe(input.recipe);
        const started = await startRun(db, caller.principal, {
          workspace,
          recipe: plan,
          target: input.target ?? "local",
          ...(input.nproc_per_node ? { nprocPerNode: input.nproc_per_node } : {}),
        });
        return {
          status: 201,
          body: runDetailsJson(await showRun(db, caller.principal, workspace, started.id)),
        };
      },
    },
    {
      method: "get",
      path: "/v1/workspaces/{workspace}/runs",
      operationId: "listRuns",
      summary: "the workspace's runs, newest first",
      tag: "runs",
      auth: "bearer",
      response: obj({ runs: arr(RUN) }),
      handler: async ({ caller, params }) => {
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        return { body: { runs: (await listRuns(db, caller.principal, workspace)).map(runJson) } };
      },
    },
    {
      method: "get",
      path: "/v1/workspaces/{workspace}/runs/{run}",
      operationId: "showRun",
      summary: "one run: status, stages with latest progress, datasets with tokens, checkpoints",
      tag: "runs",
      auth: "bearer",
      response: DETAILS,
      handler: async ({ caller, params }) => {
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        return { body: runDetailsJson(await showRun(db, caller.principal, workspace, params.run!)) };
      },
    },
    {
      method: "post",
      path: "/v1/workspaces/{workspace}/runs/{run}/cancel",
      operationId: "cancelRun",
      summary: "cancel a run: a queued one at once, a running one when its worker stops the trainer",
      tag: "runs",
      auth: "bearer",
      response: obj({ id: str(), name: str(), status: str(), cancel_requested_at: str() }),
      handler: async ({ caller, params }) => {
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        const r = await cancelRun(db, caller.principal, { workspace, run: params.run! });
        return {
          body: { id: r.id, name: r.name, status: r.status, cancel_requested_at: r.cancelRequestedAt },
        };
      },
    },
    {
      method: "get",
      path: "/v1/workspaces/{workspace}/runs/{run}/events",
      operationId: "runEvents",
      summary:
        "the run's trainer events as Server-Sent Events (id = seq), live until the run ends, then an `end` event; resume with Last-Event-ID",
      tag: "runs",
      auth: "bearer",
      stream: true,
      response: EVENT,
      handler: async ({ caller, params, headers, query }) => {
        const afterSeq = lastEventId(headers, query);
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        const run = await showRun(db, caller.principal, workspace, params.run!);
        return {
          sse: async (send, signal) => {
            const status = await followRun(db, run.id, {
              afterSeq,
              signal,
              onEvent: ({ seq, stageIdx, event }) =>
                send({
                  id: String(seq),
                  event: event.type,
                  data: JSON.stringify({ seq, stage_idx: stageIdx, event }),
                }),
            });
            if (!signal.aborted) await send({ event: "end", data: JSON.stringify({ status }) });
          },
        };
      },
    },
  ];
}
