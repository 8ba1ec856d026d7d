import type { AncestryNode, CheckpointView } from "../checkpoints/index.ts";
import { table } from "./io.ts";

const short = (digest: string) => digest.replace(/^sha256:([0-9a-f]{12})[0-9a-f]*$/, "sha256:$1…");

/**
 * Checkpoints as an aligned table.
 * @example out.result({ checkpoints }, () => checkpointsTable(views))
 */
export function checkpointsTable(views: readonly CheckpointView[]): string {
  if (views.length === 0) return "no checkpoints registered";
  return table(
    ["name", "kind", "stage", "step", "status", "digest", "id"],
    views.map((c) => [
      c.name,
      c.kind,
      c.manifest.stage,
      c.step === null ? "-" : String(c.step),
      [c.status, ...(c.taintedAt ? ["tainted"] : []), ...(c.prunedAt ? ["pruned"] : [])].join(", "),
      short(c.manifestDigest),
      c.id,
    ]),
  );
}

/**
 * `checkpoint show` for people.
 * @example out.result(json, () => checkpointText(view))
 */
export function checkpointText(c: CheckpointView): string {
  const lines = [
    `${c.name}  ${c.kind} checkpoint  ${c.status}`,
    `id        ${c.id}`,
    `path      ${c.path}`,
    `manifest  ${c.manifestDigest}`,
    `stage     ${c.manifest.stage}, step ${c.manifest.step}, ${c.manifest.tokens} tokens${c.final ? ", final" : ""}`,
    `files     ${c.manifest.files.length} (${c.manifest.files.reduce((n, f) => n + f.bytes, 0)} bytes)`,
  ];
  const { model, source } = c.manifest;
  if (model)
    lines.push(
      `model     ${model.model_type} (${model.architectures.join(", ")})${model.parameters === undefined ? "" : `, ${model.parameters} parameters`}`,
    );
  if (source)
    lines.push(`source    ${source.repo ?? source.path}${source.revision ? `@${source.revision}` : ""}`);
  if (c.runId) lines.push(`run       ${c.runId} (started by ${c.starter})`);
  if (c.parentId) lines.push(`parent    ${c.parentId}`);
  for (const s of c.manifest.data_sources)
    lines.push(`data      ${s.name}  ${s.tokens_seen} tokens seen  share ${s.share}  ${short(s.digest)}`);
  if (c.approvedBy) lines.push(`approved  by ${c.approvedBy} at ${c.approvedAt}`);
  if (c.taintedAt) lines.push(`tainted   at ${c.taintedAt}: ${c.taintReason}`);
  if (c.prunedAt) lines.push(`pruned    at ${c.prunedAt}: keep_last removed its files`);
  lines.push(`code      ${c.manifest.code_version}; torch ${c.manifest.library_versions.torch}`);
  return lines.join("\n");
}

/**
 * A checkpoint's ancestry as an indented tree, the checkpoint first, what shaped it below.
 * @example out.result(tree, () => lineageText(tree))
 */
export function lineageText(root: AncestryNode): string {
  const lines: string[] = [];
  const walk = (node: AncestryNode, prefix: string, last: boolean, top: boolean) => {
    lines.push(`${top ? "" : `${prefix}${last ? "└─ " : "├─ "}`}${nodeLine(node)}`);
    const next = top ? "" : `${prefix}${last ? "   " : "│  "}`;
    for (const [i, p] of node.parents.entries()) walk(p, next, i === node.parents.length - 1, false);
  };
  walk(root, "", true, true);
  return lines.join("\n");
}

function nodeLine(n: AncestryNode): string {
  const above = n.shownAbove ? "  (shown above)" : "";
  switch (n.kind) {
    case "checkpoint":
      return `${n.checkpointKind === "base" ? "base" : "checkpoint"} ${n.name}  ${n.status}${n.tainted ? ", TAINTED" : ""}  ${short(n.manifestDigest)}${above}`;
    case "run":
      return `run ${n.name}  ${n.status}  recipe ${short(n.recipeDigest)}  started by ${n.starter}${above}`;
    case "dataset_version":
      return `dataset ${n.name}  ${n.tokens === null ? "tokens unknown" : `${n.tokens} tokens`}  ${n.status}  ${short(n.digest)}${above}`;
    case "missing":
      return `${n.lineageKind} ${n.id} (no longer registered)`;
  }
}
