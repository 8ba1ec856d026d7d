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
 * The link of one entry: `hash = SHA-256(prev_hash "\n" seq "\n" scope "\n" body_digest)`, where
 * `body_digest = SHA-256(canonical JSON of the body)` and `scope = scopeOf(workspace)`. Hashing the
 * body separately lets a workspace export carry other workspaces' entries as stubs (seq, hashes,
 * scope, body digest) that still link and prove they are not that workspace's (see stub.ts).
 * @example entryHash(GENESIS_HASH, body) // "9f2c..."
 */
export function entryHash(prevHash: string, body: AuditBody): string {
  return linkHash(prevHash, body.seq, scopeOf(body.workspace), bodyDigest(body));
}

/**
 * The chain hash from its parts; what a stub is verified with.
 * @example linkHash(stub.prevHash, stub.seq, stub.scope, stub.bodyDigest) === stub.hash
 */
export function linkHash(prevHash: string, seq: number, scope: string, digest: string): string {
  // crypto.hash: the one-shot SHA-256, about twice as fast as createHash for inputs this small
  return hash("sha256", `${prevHash}\n${seq}\n${scope}\n${digest}`, "hex");
}

/**
 * SHA-256 (hex) of the canonical body: what the chain commits to for an entry's content.
 * @example bodyDigest(entry).length // 64
 */
export function bodyDigest(body: AuditBody): string {
  return hash("sha256", canonicalBody(body), "hex");
}

const scopes = new Map<string | null, string>();

/**
 * The scope an entry belongs to, as a digest: `SHA-256("workspace:" + id)`, or
 * `SHA-256("installation")` for installation-wide entries. Workspace ids are random, so a stub's
 * scope says "another workspace" without saying which; an auditor of W computes scopeOf(W).
 * @example scopeOf(null) === scopeOf(null) // cached: verification asks once per entry
 */
export function scopeOf(workspace: string | null): string {
  let scope = scopes.get(workspace);
  if (scope === undefined) {
    scope = hash("sha256", workspace === null ? "installation" : `workspace:${workspace}`, "hex");
    if (scopes.size > 10_000) scopes.clear();
    scopes.set(workspace, scope);
  }
  return scope;
}

const str = JSON.stringify;
const nullable = (value: string | null): string => (value === null ? "null" : str(value));

function rulesJson(rules: readonly string[]): string {
  if (rules.length === 1) return str(rules[0]);
  let out = "";
  for (let i = 0; i < rules.length; i++) out += i === 0 ? str(rules[i]) : `,${str(rules[i])}`;
  return out;
}

/**
 * `canonicalJson(bodyOf(body))`, written out for this one shape (keys already in sorted order):
 * verification runs it for every entry, and the generic walk is the slower half of the work.
 * A property test holds the two equal.
 * @example sha256Hex(canonicalBody(entry)) === bodyDigest(entry)
 */
export function canonicalBody(b: AuditBody): string {
  if (!Number.isSafeInteger(b.seq)) throw new TypeError(`audit entry seq ${b.seq} is not an integer`);
  // plain `+` over one expression: V8 builds it with the fewest intermediate strings
  return (
    '{"action":' +
    str(b.action) +
    ',"actor":' +
    str(b.actor) +
    ',"decision":' +
    str(b.decision) +
    ',"payloadDigest":' +
    nullable(b.payloadDigest) +
    ',"reason":' +
    nullable(b.reason) +
    ',"resource":' +
    str(b.resource) +
    ',"rules":[' +
    rulesJson(b.rules) +
    '],"seq":' +
    b.seq +
    ',"time":' +
    str(b.time) +
    ',"workspace":' +
    nullable(b.workspace) +
    "}"
  );
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
