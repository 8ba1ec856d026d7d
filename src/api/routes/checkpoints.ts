import {
  approveCheckpoint,
  checkpointJson,
  checkpointLineage,
  listCheckpoints,
  readCheckpoint,
} from "../../checkpoints/index.ts";
import { invalid } from "../../core/errors.ts";
import type { Authenticated } from "../../identity/authenticated.ts";
import { visibleWorkspace } from "../../identity/tenancy.ts";
import type { SigningKey } from "../../provenance/signing-key.ts";
import type { Db } from "../../store/db.ts";
import type { JsonSchema, Route } from "../route.ts";
import { arr, bool, int, obj, str } from "../schemas.ts";

const nullable = (type: "string" | "integer"): JsonSchema => ({ type: [type, "null"] });
const DIGEST = str({ pattern: "^sha256:[0-9a-f]{64}$" });
const CHECKPOINT = obj({
  id: str(),
  name: str(),
  kind: str({ enum: ["base", "run"] }),
  stage: str(),
  run_id: nullable("string"),
  stage_idx: nullable("integer"),
  step: nullable("integer"),
  final: bool,
  tokens: int({ minimum: 0 }),
  path: str(),
  manifest_digest: DIGEST,
  parent_id: nullable("string"),
  status: str({ enum: ["candidate", "approved", "rejected"] }),
  starter: str(),
  approved_by: nullable("string"),
  approved_at: nullable("string"),
  tainted_at: nullable("string"),
  taint_reason: nullable("string"),
  pruned_at: nullable("string"),
  registered_by: str(),
  created_at: str(),
});
const withProps = (base: JsonSchema, extra: Record<string, JsonSchema>): JsonSchema => ({
  ...base,
  required: [...(base.required as string[]), ...Object.keys(extra)],
  properties: { ...(base.properties as object), ...extra },
});
const ANCESTRY: JsonSchema = {
  type: "object",
  required: ["kind", "id", "parents"],
  properties: {
    kind: str({ enum: ["checkpoint", "run", "dataset_version", "missing"] }),
    id: str(),
    name: str(),
    // each parent is a node of the same shape (kept shallow: a `#` reference would name the whole document)
    parents: arr({ type: "object", required: ["kind", "id", "parents"] }),
  },
};

/** `{checkpoint}` is an id or a URL-encoded name (`nano%40mid`, `acme-cpt%2Fcpt%2Fstep-6`). */
function refOf(params: Record<string, string>): string {
  const ref = decodeURIComponent(params.checkpoint ?? "");
  if (ref.length === 0 || ref.length > 300)
    throw invalid(
      "checkpoint",
      "is empty or too long",
      params.checkpoint,
      "Give a checkpoint id or its URL-encoded name",
    );
  return ref;
}

/** The checkpoint registry over HTTP: list, show, lineage and approval. */
export function checkpointRoutes(db: Db, options: { signingKey?: SigningKey } = {}): Route<Authenticated>[] {
  return [
    {
      method: "get",
      path: "/v1/workspaces/{workspace}/checkpoints",
      operationId: "listCheckpoints",
      summary:
        "the workspace's checkpoints (?kind=base|run, ?run=ID): bases first, then run checkpoints oldest first",
      tag: "checkpoints",
      auth: "bearer",
      response: obj({ checkpoints: arr(CHECKPOINT) }),
      handler: async ({ caller, params, query }) => {
        if (query.kind !== undefined && query.kind !== "base" && query.kind !== "run")
          throw invalid("kind", "unknown checkpoint kind", query.kind, "Use base or run");
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        const views = await listCheckpoints(db, caller.principal, workspace, {
          ...(query.kind ? { kind: query.kind as "base" | "run" } : {}),
          ...(query.run ? { runId: query.run } : {}),
        });
        return { body: { checkpoints: views.map(checkpointJson) } };
      },
    },
    {
      method: "get",
      path: "/v1/workspaces/{workspace}/checkpoints/{checkpoint}",
      operationId: "showCheckpoint",
      summary: "one checkpoint (id or URL-encoded name) with its manifest",
      tag: "checkpoints",
      auth: "bearer",
      response: withProps(CHECKPOINT, {
        manifest: { type: "object", required: ["protocol_version", "files"] },
      }),
      handler: async ({ caller, params }) => {
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        const view = await readCheckpoint(db, caller.principal, workspace, refOf(params));
        return { body: { ...checkpointJson(view), manifest: view.manifest } };
      },
    },
    {
      method: "get",
      path: "/v1/workspaces/{workspace}/checkpoints/{checkpoint}/lineage",
      operationId: "checkpointLineage",
      summary:
        "a checkpoint's ancestry: run (recipe, starter), base checkpoints, dataset versions with tokens",
      tag: "checkpoints",
      auth: "bearer",
      response: ANCESTRY,
      handler: async ({ caller, params }) => {
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        return { body: await checkpointLineage(db, caller.principal, workspace, refOf(params)) };
      },
    },
    {
      method: "post",
      path: "/v1/workspaces/{workspace}/checkpoints/{checkpoint}/approve",
      operationId: "approveCheckpoint",
      summary:
        "approve a run's checkpoint (a model approver who did not start its run) and sign its provenance",
      tag: "checkpoints",
      auth: "bearer",
      response: withProps(CHECKPOINT, { provenance: nullable("string") }),
      handler: async ({ caller, params }) => {
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        const approval = await approveCheckpoint(db, caller.principal, {
          workspace,
          ref: refOf(params),
          ...(options.signingKey ? { key: options.signingKey } : {}),
        });
        return { body: { ...checkpointJson(approval.checkpoint), provenance: approval.provenance } };
      },
    },
  ];
}
