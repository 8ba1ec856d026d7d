// Verification figures: the chain recomputed in memory, from a store, and from an exported file.
import { hash as oneShotHash } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appendAuditBatch } from "../../src/audit/append.ts";
import {
  type AuditEntry,
  type AuditInput,
  bodyDigest,
  canonicalBody,
  chainEntry,
  GENESIS_HASH,
  scopeOf,
} from "../../src/audit/entry.ts";
import { exportAuditJsonl, verifyAuditFile, verifyAuditLog } from "../../src/audit/export.ts";
import { readAuditPages } from "../../src/audit/store.ts";
import { verifyChain } from "../../src/audit/verify.ts";
import { generateSigningKey } from "../../src/provenance/keyring.ts";
import type { Db } from "../../src/store/db.ts";
import { emit } from "./emit.ts";

/** The installation key the exports are signed with. */
const key = generateSigningKey();

const TARGET = ">= 100000/s";

/** One realistic decision: a resource id with quotes, one rule, a payload digest. */
export function benchInput(i: number): AuditInput {
  return {
    workspace: i % 3 ? "ws_bench" : "ws_other",
    actor: `usr_${i % 7}`,
    action: "dataset.read",
    resource: `DatasetVersion::"dsv_${i}"`,
    decision: i % 5 ? "allow" : "deny",
    rules: ["steward.datasets"],
    reason: null,
    payload: { i },
  };
}

/**
 * The hashing floor of verification: per entry, the same two SHA-256 calls (body, link) over the
 * same bytes, serialised beforehand. Whatever verification adds on top is its own work.
 */
function hashFloor(entries: readonly AuditEntry[]): Rates {
  const bodies = entries.map((e) => canonicalBody(e));
  const links = entries.map((e) => `${e.prevHash}\n${e.seq}\n${scopeOf(e.workspace)}\n${bodyDigest(e)}`);
  let sink = 0;
  const rates = timed(entries.length, () => {
    for (let i = 0; i < bodies.length; i++) {
      sink += oneShotHash("sha256", bodies[i]!, "hex").length;
      sink += oneShotHash("sha256", links[i]!, "hex").length;
    }
  });
  if (sink !== 128 * entries.length) throw new Error("hash floor: wrong digest length");
  return rates;
}

interface Rates {
  /** per second of wall-clock time */
  wall: number;
  /** per second of this process's CPU time: what a machine shared with others would give alone */
  cpu: number;
}

function timed(n: number, fn: () => void): Rates {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = n / ((performance.now() - t0) / 1000);
  const spent = process.cpuUsage(c0);
  return { wall, cpu: n / ((spent.user + spent.system) / 1e6) };
}

/** `audit_verify`: verifyChain over entries in memory, against the hashing floor. */
export function benchVerifyMemory(n: number): void {
  const entries: AuditEntry[] = [];
  let seq = 0;
  let prev = GENESIS_HASH;
  for (let i = 0; i < n; i++) {
    const e = chainEntry(seq, prev, { ...benchInput(i), time: new Date(1_700_000_000_000 + i) });
    entries.push(e);
    seq = e.seq;
    prev = e.hash;
  }
  verifyChain(entries.slice(0, 5000)); // warm up
  const floor = hashFloor(entries);
  let verdict: ReturnType<typeof verifyChain> | undefined;
  const rate = timed(n, () => {
    verdict = verifyChain(entries);
  });
  if (!verdict?.ok) throw new Error("verification failed in the benchmark");
  const note =
    "verifyChain in memory; baseline: the same two SHA-256 per entry (body, link) over the same bytes serialised beforehand";
  emit("audit_verify", rate.wall, "entries/s", floor.wall, { entries: n, note, target: TARGET });
  emit("audit_verify_cpu", rate.cpu, "entries/s", floor.cpu, {
    entries: n,
    note: `${note}; per second of the process's CPU time, so time preempted by other processes does not count`,
    target: TARGET,
  });
}

/**
 * `audit_verify_<store>` (verifyAuditLog, streamed in pages) and `audit_verify_file` (an export
 * of the same chain, verified offline), each against reading the same rows or lines unverified.
 */
export async function benchVerifyStore(db: Db, store: string, n: number): Promise<void> {
  const batch = 1000;
  for (let i = 0; i < n; i += batch) {
    const inputs = Array.from({ length: Math.min(batch, n - i) }, (_, k) => benchInput(i + k));
    await db.transaction((tx) => appendAuditBatch(tx, inputs));
  }
  for await (const _ of readAuditPages(db)); // warm the store's cache, so neither figure pays for it
  let t0 = performance.now();
  let rows = 0;
  for await (const page of readAuditPages(db)) rows += page.length;
  const read = rows / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  const verdict = await verifyAuditLog(db);
  const rate = verdict.ok ? verdict.count / ((performance.now() - t0) / 1000) : 0;
  if (!verdict.ok) throw new Error(`store verification failed: ${verdict.reason}`);
  emit(`audit_verify_${store}`, rate, "entries/s", read, {
    entries: verdict.count,
    note: "verifyAuditLog from the store, pages of 10,000 (what `crucible audit verify` does); baseline: reading the same pages without verifying: the read bounds this figure, not the hashing",
  });
  if (store !== "pglite") return;
  const path = join(tmpdir(), `crucible-bench-audit-${process.pid}.jsonl`);
  try {
    await exportAuditJsonl(db, path, { workspace: "ws_bench", key });
    t0 = performance.now();
    const file = await verifyAuditFile(path, { keys: key.publicKey });
    const fileRate = file.ok ? (file.count / (performance.now() - t0)) * 1000 : 0;
    if (!file.ok) throw new Error(`file verification failed: ${file.reason}`);
    emit("audit_verify_workspace_file", fileRate, "entries/s", rate, {
      entries: file.count,
      stubs: file.stubs ?? 0,
      note: "verifyAuditFile on a workspace export (a third of the entries are other workspaces' stubs), parsing every line; baseline: verifyAuditLog from PGlite",
    });
  } finally {
    rmSync(path, { force: true });
  }
}
