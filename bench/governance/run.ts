// Governance benchmarks: node --import tsx bench/governance/run.ts [--quick]
// Prints one JSON line per figure: {bench, name, value, unit, baseline, ratio}, every baseline
// measured in this same run. DATABASE_URL (or the test server at 127.0.0.1:5432) for the server.
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { appendAuditBatch } from "../../src/audit/append.ts";
import { newId } from "../../src/core/ids.ts";
import { type AuthzRequest, authorize } from "../../src/policy/engine.ts";
import { defaultPolicySet } from "../../src/policy/versions.ts";
import type { Db } from "../../src/store/db.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openPglite } from "../../src/store/pglite.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { emit } from "./emit.ts";
import { benchInput, benchVerifyMemory, benchVerifyStore } from "./verify.ts";

const quick = process.argv.includes("--quick");
const scale = quick ? 0.1 : 1;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function latencies(n: number, fn: (i: number) => void): number[] {
  for (let i = 0; i < Math.min(500, n); i++) fn(i);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    fn(i);
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out.sort((a, b) => a - b);
}

/** CPU time per call (user + system, microsecond accounting): unaffected by time spent preempted. */
function cpuTimes(n: number, fn: (i: number) => void): number[] {
  for (let i = 0; i < Math.min(500, n); i++) fn(i);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const before = process.cpuUsage();
    fn(i);
    const spent = process.cpuUsage(before);
    out.push((spent.user + spent.system) / 1000);
  }
  return out.sort((a, b) => a - b);
}

function benchAuthorize(): void {
  const policies = defaultPolicySet();
  const ws = "ws_bench";
  const roles = ["data-steward", "ml-engineer", "model-approver", "auditor"] as const;
  const requests: AuthzRequest[] = roles.flatMap((role, i) => {
    const principal = { kind: "user" as const, id: `usr_${i}`, roles: [{ workspace: ws, role }] };
    const dsv = { type: "DatasetVersion" as const, id: "dsv_1", workspace: ws, uploader: "usr_9" };
    const run = {
      type: "Run" as const,
      id: "run_1",
      workspace: ws,
      starter: "usr_9",
      datasets: ["dsv_1"],
      rewards: [],
    };
    return [
      { principal, action: "dataset.approve", resource: dsv, context: { prescreen_passed: true } },
      { principal, action: "dataset.read", resource: dsv },
      { principal, action: "run.start", resource: run, context: { inputs_approved: true } },
    ] as AuthzRequest[];
  });
  const n = Math.round(5000 * scale);
  const ours = latencies(n, (i) => authorize(policies, requests[i % requests.length]!));
  cedar.preparsePolicySet("bench-floor", {
    staticPolicies: { floor: "permit (principal, action, resource);" },
  });
  const floorCall = () =>
    cedar.statefulIsAuthorized({
      principal: { type: "User", id: "u" },
      action: { type: "Action", id: "dataset.read" },
      resource: { type: "DatasetVersion", id: "d" },
      context: {},
      entities: [],
      preparsedPolicySetId: "bench-floor",
    });
  const oursCpu = cpuTimes(n, (i) => authorize(policies, requests[i % requests.length]!));
  const floorCpu = cpuTimes(n, floorCall);
  const floor = latencies(n, floorCall);
  const note = "baseline: one Cedar call with a single permit-all policy and no entities";
  const cpuNote = `${note}; CPU time of the process per call, so time spent preempted by other processes does not count`;
  emit("authorize_cpu_p50", percentile(oursCpu, 50), "ms", percentile(floorCpu, 50), { n, note: cpuNote });
  emit("authorize_cpu_p99", percentile(oursCpu, 99), "ms", percentile(floorCpu, 99), {
    n,
    note: cpuNote,
    target: "< 1 ms",
  });
  emit("authorize_p50", percentile(ours, 50), "ms", percentile(floor, 50), {
    n,
    note,
    policies: policies.ids.length,
  });
  emit("authorize_p99", percentile(ours, 99), "ms", percentile(floor, 99), { n, note, target: "< 1 ms" });
}

async function benchAppends(db: Db, store: string): Promise<void> {
  const batch = 100;
  const batches = Math.max(2, Math.round((store === "pglite" ? 60 : 100) * scale));
  await db.exec(`CREATE TABLE bench_plain (LIKE audit_log INCLUDING DEFAULTS)`);
  const plain = async (): Promise<number> => {
    let seq = 1_000_000;
    const t0 = performance.now();
    for (let b = 0; b < batches; b++) {
      await db.transaction(async (tx) => {
        const params: unknown[] = [];
        const rows: string[] = [];
        for (let k = 0; k < batch; k++) {
          const e = benchInput(seq);
          const base = params.length;
          params.push(
            seq++,
            new Date().toISOString(),
            e.workspace,
            e.actor,
            e.action,
            e.resource,
            e.decision,
            e.rules,
            null,
            null,
            "p",
            `h${seq}`,
          );
          rows.push(`(${Array.from({ length: 12 }, (_, j) => `$${base + j + 1}`).join(",")})`);
        }
        await tx.query(
          `INSERT INTO bench_plain (seq, time, workspace, actor, action, resource, decision, rules, reason, payload_digest, prev_hash, hash) VALUES ${rows.join(",")}`,
          params,
        );
      });
    }
    return (batches * batch) / ((performance.now() - t0) / 1000);
  };
  const chained = async (): Promise<number> => {
    let i = 0;
    const t0 = performance.now();
    for (let b = 0; b < batches; b++) {
      const inputs = Array.from({ length: batch }, () => benchInput(i++));
      await db.transaction((tx) => appendAuditBatch(tx, inputs));
    }
    return (batches * batch) / ((performance.now() - t0) / 1000);
  };
  const singles = async (): Promise<number> => {
    const n = Math.max(50, Math.round(1000 * scale));
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await db.transaction((tx) => appendAuditBatch(tx, [benchInput(i)]));
    return n / ((performance.now() - t0) / 1000);
  };
  await chained(); // warm up
  const base = await plain();
  const ours = await chained();
  const one = await singles();
  const target = store === "pglite" ? ">= 2000/s" : ">= 5000/s";
  const how = `${batch} entries per transaction (appendAuditBatch: one head-row lock, one multi-row INSERT); baseline: the same rows by plain multi-row INSERT into a table without chain, triggers or lock`;
  emit(`audit_append_${store}`, ours, "entries/s", base, { how, target, entries: batches * batch });
  emit(`audit_append_${store}_one_per_tx`, one, "entries/s", base, {
    how: "one entry per transaction (appendAudit inside the caller's transaction)",
  });
}

const verifyN = Math.round(200_000 * scale);
const storeN = Math.round(50_000 * scale);
benchAuthorize();
benchVerifyMemory(verifyN);
{
  const db = await openPglite({});
  await migrate(db);
  await benchAppends(db, "pglite");
  await db.close();
}
{
  const db = await openPglite({});
  await migrate(db);
  await benchVerifyStore(db, "pglite", storeN);
  await db.close();
}
const url = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
let server: Db | undefined;
const schema = newId("bench").toLowerCase();
try {
  server = await openPostgres({ connectionString: url, schema, max: 2 });
} catch (err) {
  console.error(`no PostgreSQL server at ${url}: ${(err as Error).message}; server figures skipped`);
}
if (server) {
  try {
    await migrate(server);
    await benchAppends(server, "postgres");
    await server.exec(`DROP SCHEMA ${schema} CASCADE; CREATE SCHEMA ${schema}`);
    await migrate(server);
    await benchVerifyStore(server, "postgres", storeN);
  } finally {
    await server.exec(`DROP SCHEMA ${schema} CASCADE`);
    await server.close();
  }
}
