import { hash } from "node:crypto";
import { digestOf } from "../core/digest.ts";

/** The `prev_hash` of the first entry: 64 zeros. */
export const GENESIS_HASH = "0".repeat(64);

export type AuditDecision = "allow" | "deny";

/** What a caller hands to `appendAudit`: one decision, or one change of governed state. */
export interface AuditInput {
  /** Workspace the resource lives in; null for installation-wide events. */
  workspace: string | null;
  /** Principal id (or `anonymous`) that asked. */
  actor: string;
  /** The action, e.g. `dataset.approve`. */
  action: string;
  /** The resource, `Type::"id"`, e.g. `DatasetVersion::"dsv_01h..."`. */
  resource: string;
  decision: AuditDecision;
  /** Determining policy ids (`default-deny` when nothing permitted). */
  rules: readonly string[];
  /** Human-readable why; never a secret. */
  reason?: string | null;
  /** The request or state change; only its digest is kept in the log. */
  payload?: unknown;
  /** Defaults to now. */
  time?: Date;
}

/** One link of the chain, exactly as stored, exported and verified. */
export interface AuditEntry {
  seq: number;
  /** ISO-8601 UTC with milliseconds. */
  time: string;
  workspace: string | null;
  actor: string;
  action: string;
  resource: string;
  decision: AuditDecision;
  rules: string[];
  reason: string | null;
  payloadDigest: string | null;
  prevHash: string;
  hash: string;
}

/** The part of an entry that its hash covers (everything but the hashes themselves). */
export type AuditBody = Omit<AuditEntry, "prevHash" | "hash">;

/**
 * hash = SHA-256(prev_hash ‖ canonical JSON of the body), lower-case hex.
 * @example entryHash(GENESIS_HASH, body) // "9f2c..."
 */
export function entryHash(prevHash: string, body: AuditBody): string {
  // crypto.hash: the one-shot SHA-256, about twice as fast as createHash for inputs this small
  return hash("sha256", prevHash + canonicalBody(body), "hex");
}

const str = JSON.stringify;

function rulesJson(rules: readonly string[]): string {
  let out = "";
  for (let i = 0; i < rules.length; i++) out += i === 0 ? str(rules[i]) : `,${str(rules[i])}`;
  return out;
}

/**
 * `canonicalJson(bodyOf(body))`, written out for this one shape (keys already in sorted order):
 * verification runs it for every entry, and the generic walk is the slower half of the work.
 * A property test holds the two equal.
 * @example sha256Hex(prevHash + canonicalBody(entry)) === entry.hash // for an untouched entry
 */
export function canonicalBody(b: AuditBody): string {
  if (!Number.isSafeInteger(b.seq)) throw new TypeError(`audit entry seq ${b.seq} is not an integer`);
  return `{"action":${str(b.action)},"actor":${str(b.actor)},"decision":${str(b.decision)},"payloadDigest":${str(b.payloadDigest)},"reason":${str(b.reason)},"resource":${str(b.resource)},"rules":[${rulesJson(b.rules)}],"seq":${b.seq},"time":${str(b.time)},"workspace":${str(b.workspace)}}`;
}

/**
 * Picks exactly the hashed fields, so extra members on an object never change its hash.
 * @example canonicalJson(bodyOf(entry)) === canonicalBody(entry) // true
 */
export function bodyOf(entry: AuditBody): AuditBody {
  return {
    seq: entry.seq,
    time: entry.time,
    workspace: entry.workspace,
    actor: entry.actor,
    action: entry.action,
    resource: entry.resource,
    decision: entry.decision,
    rules: entry.rules,
    reason: entry.reason,
    payloadDigest: entry.payloadDigest,
  };
}

/**
 * Builds the next entry after (prevSeq, prevHash). Pure: used by append and by tests.
 * @example const next = chainEntry(prev.seq, prev.hash, { workspace, actor, action, resource, decision: "allow", rules });
 */
export function chainEntry(prevSeq: number, prevHash: string, input: AuditInput): AuditEntry {
  const body: AuditBody = {
    seq: prevSeq + 1,
    time: (input.time ?? new Date()).toISOString(),
    workspace: input.workspace,
    actor: input.actor,
    action: input.action,
    resource: input.resource,
    decision: input.decision,
    rules: [...input.rules],
    reason: input.reason ?? null,
    payloadDigest: input.payload === undefined ? null : digestOf(input.payload),
  };
  return { ...body, prevHash, hash: entryHash(prevHash, body) };
}
