import { type AuditEntry, bodyDigest, scopeOf } from "./entry.ts";

/**
 * Another workspace's entry as it appears in a workspace export: enough to carry the chain
 * through it (seq, prev_hash, hash) and to prove whose it is not (scope, body digest), and
 * nothing of its content: no actor, action, resource, decision, reason or payload.
 */
export interface AuditStub {
  seq: number;
  prevHash: string;
  hash: string;
  /** scopeOf(workspace) of the withheld entry. */
  scope: string;
  /** SHA-256 of the withheld entry's canonical body. */
  bodyDigest: string;
}

/** What a chain is made of: full entries, and (in a workspace export) stubs. */
export type ChainLink = AuditEntry | AuditStub;

/** @example isStub(stubOf(entry)) // true */
export function isStub(link: ChainLink): link is AuditStub {
  return "bodyDigest" in link;
}

/**
 * The stub of an entry, for a workspace export that must not show it.
 * @example const line = canonicalJson(stubOf(entry)); // {"bodyDigest":"…","hash":"…","prevHash":"…","scope":"…","seq":7}
 */
export function stubOf(entry: AuditEntry): AuditStub {
  return {
    seq: entry.seq,
    prevHash: entry.prevHash,
    hash: entry.hash,
    scope: scopeOf(entry.workspace),
    bodyDigest: bodyDigest(entry),
  };
}
