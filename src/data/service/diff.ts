import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { sha256Hex } from "../../core/digest.ts";
import type { Principal } from "../../policy/entities.ts";
import type { Db } from "../../store/db.ts";
import type { ArtifactStore } from "./artifacts.ts";
import { authorizeRead } from "./read.ts";
import { findVersion, refText, type VersionRef } from "./refs.ts";

/** What changed between two versions, record by record (by each record's canonical digest). */
export interface VersionDiff {
  from: string;
  to: string;
  records: { from: number; to: number; added: number; removed: number; unchanged: number };
  findings: { from: number; to: number };
}

/**
 * Compares two versions by record digest: how many records `to` adds and removes relative to
 * `from` (duplicates counted as often as they occur), and the findings of each.
 * @example const d = await diffVersions(db, dana, { workspace, from: { name: "h", version: 1 }, to: { name: "h", version: 2 } }, artifacts);
 */
export async function diffVersions(
  db: Db,
  caller: Principal,
  input: { workspace: string; from: VersionRef; to: VersionRef },
  artifacts: ArtifactStore,
): Promise<VersionDiff> {
  const from = await findVersion(db, input.workspace, input.from);
  const to = await findVersion(db, input.workspace, input.to);
  await authorizeRead(db, caller, [from, to]);
  const counts = new Map<string, number>();
  for await (const d of recordDigests(artifacts.path(from.artifactPath)))
    counts.set(d, (counts.get(d) ?? 0) + 1);
  let added = 0;
  let unchanged = 0;
  for await (const d of recordDigests(artifacts.path(to.artifactPath))) {
    const left = counts.get(d) ?? 0;
    if (left > 0) {
      counts.set(d, left - 1);
      unchanged += 1;
    } else added += 1;
  }
  const findings = await db.query<{ version_id: string; findings: number }>(
    "SELECT version_id, findings FROM prescreen_reports WHERE version_id = ANY($1)",
    [[from.id, to.id]],
  );
  const findingsOf = (id: string) => Number(findings.rows.find((r) => r.version_id === id)?.findings ?? 0);
  return {
    from: refText(from),
    to: refText(to),
    records: { from: from.records, to: to.records, added, removed: from.records - unchanged, unchanged },
    findings: { from: findingsOf(from.id), to: findingsOf(to.id) },
  };
}

/** The SHA-256 of each canonical line of an artifact (artifacts hold one canonical record per line). */
async function* recordDigests(path: string): AsyncGenerator<string> {
  const lines = createInterface({
    input: createReadStream(path, { encoding: "utf8" }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) if (line.length > 0) yield sha256Hex(`${line}\n`);
}
