import type { KeyObject } from "node:crypto";
import type { DsseEnvelope } from "../provenance/dsse.ts";
import type { InTotoStatement } from "../provenance/statement.ts";
import { type CheckpointProblem, verifyCheckpoint } from "../provenance/verify.ts";
import type { Queryable } from "../store/db.ts";
import { checkpointStanding } from "./standing.ts";

/** What `crucible verify` found: a failure with its problems, or a pass with the taint. */
export type Verification =
  | { ok: false; dir: string; problems: CheckpointProblem[]; message: string; field: string }
  | {
      ok: true;
      dir: string;
      /** The registered name; null offline. */
      name: string | null;
      statement: InTotoStatement;
      keyid: string;
      builderId: string;
      taint: { checked: false } | { checked: true; taintedAt: string | null; reason: string | null };
    };

interface Input {
  dir: string;
  envelope: DsseEnvelope;
  keys: KeyObject | ReadonlyMap<string, KeyObject>;
  builderId: string;
}

/**
 * Files alone: signature, verification policy against `builderId`, every file. Taint is not
 * checked (it lives in the store), and the result says so.
 * @example const v = await verifyOffline({ dir, envelope, keys, builderId: "urn:crucible:installation:inst_1" });
 */
export async function verifyOffline(input: Input): Promise<Verification> {
  const verdict = await verifyCheckpoint(input.dir, input.envelope, input.keys, {
    builderId: input.builderId,
  });
  if (!verdict.ok) return failed(input.dir, verdict.problems, verdict.message);
  return {
    ok: true,
    dir: input.dir,
    name: null,
    statement: verdict.statement,
    keyid: verdict.keyid,
    builderId: input.builderId,
    taint: { checked: false },
  };
}

/**
 * As verifyOffline, then against the store: the statement's checkpoint is registered, its
 * approval is the audit log's entry, and its taint (a revoked dataset shaped it) is reported.
 * @example const v = await verifyAgainstStore(db, { dir, envelope, keys, builderId: await installationBuilderId(db) });
 */
export async function verifyAgainstStore(q: Queryable, input: Input): Promise<Verification> {
  const offline = await verifyOffline(input);
  if (!offline.ok) return offline;
  const { checkpoint, problems } = await checkpointStanding(q, offline.statement);
  if (problems.length > 0)
    return failed(input.dir, problems, problems.map((p) => `${p.field} ${p.message}`).join("; "));
  return {
    ...offline,
    name: checkpoint.name,
    taint: { checked: true, taintedAt: checkpoint.taintedAt, reason: checkpoint.taintReason },
  };
}

function failed(dir: string, problems: CheckpointProblem[], message: string): Verification {
  const first = problems[0];
  const field = first?.kind === "policy" ? first.field : "checkpoint";
  return { ok: false, dir, problems, message, field };
}
