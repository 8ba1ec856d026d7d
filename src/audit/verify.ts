import { type AuditEntry, entryHash, GENESIS_HASH } from "./entry.ts";

/** Where a chain is anchored: the (seq, hash) of its newest entry, recorded out of band. */
export interface ChainHead {
  seq: number;
  hash: string;
}

export type ChainVerdict =
  | { ok: true; count: number; head: ChainHead }
  | {
      ok: false;
      /** Index in the given list of the first entry found wrong (list length for a missing tail). */
      index: number;
      /** The seq that was expected at that position. */
      seq: number;
      reason: string;
    };

export interface VerifyOptions {
  /** The hash before the first given entry (GENESIS_HASH for a chain from its start). */
  startPrevHash?: string;
  /** The seq before the first given entry (0 for a chain from its start). */
  startSeq?: number;
  /** When given, the chain must end exactly here: this catches a removed tail. */
  head?: ChainHead;
}

/**
 * Recomputes every hash and link and reports the first entry that is wrong, and why.
 * @example
 * const verdict = verifyChain(entries, { head });
 * if (!verdict.ok) console.error(`entry ${verdict.seq}: ${verdict.reason}`);
 */
export function verifyChain(entries: Iterable<AuditEntry>, options: VerifyOptions = {}): ChainVerdict {
  let prevHash = options.startPrevHash ?? GENESIS_HASH;
  let prevSeq = options.startSeq ?? 0;
  let index = 0;
  for (const entry of entries) {
    const expectedSeq = prevSeq + 1;
    const fail = (reason: string): ChainVerdict => ({ ok: false, index, seq: expectedSeq, reason });
    if (entry.seq !== expectedSeq) {
      return fail(`expected seq ${expectedSeq}, found seq ${entry.seq}: an entry is missing, added or moved`);
    }
    if (entry.prevHash !== prevHash) {
      return fail(`prev_hash ${entry.prevHash} does not match the previous entry's hash ${prevHash}`);
    }
    const recomputed = entryHash(prevHash, entry);
    if (recomputed !== entry.hash) {
      return fail(`hash mismatch: stored ${entry.hash}, recomputed ${recomputed}: the entry was altered`);
    }
    prevHash = entry.hash;
    prevSeq = entry.seq;
    index++;
  }
  const head = { seq: prevSeq, hash: prevHash };
  if (options.head && (options.head.seq !== head.seq || options.head.hash !== head.hash)) {
    return {
      ok: false,
      index,
      seq: Math.min(head.seq, options.head.seq) + 1,
      reason: `chain ends at seq ${head.seq} (${head.hash}) but the head is seq ${options.head.seq} (${options.head.hash}): entries were removed or added at the end`,
    };
  }
  return { ok: true, count: index, head };
}
