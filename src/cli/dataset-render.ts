import type { VersionDetails, VersionDiff, VersionImpact, VersionRow } from "../data/service/index.ts";
import { versionJson } from "../data/service/json.ts";
import { table } from "./io.ts";

/**
 * Versions as an aligned table.
 * @example out.result({ versions }, () => versionsTable(versions))
 */
export function versionsTable(versions: readonly VersionRow[]): string {
  return table(
    ["version", "status", "records", "uploader", "parent", "digest"],
    versions.map((v) => {
      const j = versionJson(v);
      return [j.ref, j.status, String(j.records), j.uploader, j.parent ?? "-", j.digest];
    }),
  );
}

/**
 * `dataset show` for people.
 * @example out.result(json, () => detailsText(details))
 */
export function detailsText(d: VersionDetails): string {
  const j = versionJson(d);
  const lines = [
    `${j.ref}  ${j.status}`,
    `digest    ${j.digest}`,
    `records   ${j.records} (${j.format}, ${j.bytes} bytes uploaded)`,
    `uploader  ${j.uploader}`,
    `parent    ${j.parent ?? "-"}`,
    `findings  ${d.findings} in ${d.flaggedRecords} records`,
  ];
  for (const a of d.approvals)
    lines.push(
      `approved  ${a.purpose} by ${a.approver} at ${a.approvedAt}${a.expiresAt ? ` until ${a.expiresAt}` : ""}`,
    );
  if (d.revocation)
    lines.push(`revoked   by ${d.revocation.revokedBy} at ${d.revocation.revokedAt}: ${d.revocation.reason}`);
  return lines.join("\n");
}

/**
 * `dataset diff` for people.
 * @example diffText(d) // "acme-handbook@v1 -> acme-handbook@v2\n..."
 */
export function diffText(d: VersionDiff): string {
  const r = d.records;
  return [
    `${d.from} -> ${d.to}`,
    `records   ${r.from} -> ${r.to}: +${r.added} -${r.removed} (${r.unchanged} unchanged)`,
    `findings  ${d.findings.from} -> ${d.findings.to}`,
  ].join("\n");
}

/**
 * `lineage impact` for people.
 * @example out.result(impact, () => impactText(impact))
 */
export function impactText(i: VersionImpact): string {
  const nodes = [...i.runs, ...i.checkpoints, ...i.deployments];
  if (nodes.length === 0) return `${i.version} has influenced no run, checkpoint or deployment`;
  const checkpoint = (id: string) => i.checkpoints.find((c) => c.id === id);
  const count = (n: number | null) => (n === null ? "-" : String(n));
  const tainted = i.checkpoints.filter((c) => c.taintedAt !== null).length;
  return [
    `${i.version} (${i.digest}, ${i.status}) influenced:`,
    table(
      ["kind", "id", "name", "depth", "via", "tokens", "tainted"],
      nodes.map((n) => {
        const c = checkpoint(n.id);
        return [
          n.kind,
          n.id,
          c?.name ?? "",
          String(n.depth),
          `${n.via.kind}:${n.via.id}`,
          count(c ? c.tokensSeen : n.tokens),
          n.kind !== "checkpoint" ? "" : c?.taintedAt ? `yes (${c.taintReason})` : "no",
        ];
      }),
    ),
    `${tainted} of ${i.checkpoints.length} checkpoints tainted; tokens: fed to a run, or seen by a checkpoint`,
  ].join("\n");
}
