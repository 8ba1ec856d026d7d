import { entryHash, GENESIS_HASH, linkHash, scopeOf } from "./entry.ts";
import { type ChainLink, isStub } from "./stub.ts";

/** Where a chain is anchored: the (seq, hash) of its newest entry, recorded out of band. */
export interface ChainHead {
  seq: number;
  hash: string;
}

export type ChainVerdict =
  | {
      ok: true;
      count: number;
      head: ChainHead;
      /** Entries of other workspaces that a workspace export carried as stubs (absent when none). */
      stubs?: number;
      /** Signed heads the chain was shown to extend (absent when none were given). */
      signedHeads?: number;
    }
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
  /**
   * The workspace a workspace export belongs to: its entries must all be full, every other
   * entry may be a stub, and a stub whose scope is this workspace's fails (content withheld).
   * Without it, stubs are not accepted at all.
   */
  workspace?: string;
  /**
   * Heads signed earlier (seq, hash, time, keyid), checked for consistency as in Certificate
   * Transparency: the chain must reach each one's seq with that very hash. A signed head the
   * chain does not extend means a rewrite, a fork or a cut tail after it was signed.
   */
  signedHeads?: readonly SignedClaim[];
}

/** What a signed head claims (signature already verified, see signed-head.ts). */
export interface SignedClaim extends ChainHead {
  time: string;
  keyid: string;
}

function describeClaim(claim: SignedClaim): string {
  return `the signed head seq ${claim.seq} (hash ${claim.hash}, signed ${claim.time} by key ${claim.keyid.slice(0, 16)}…)`;
}

/**
 * Recomputes a chain as it streams by, a page at a time: one synchronous loop per page, no
 * per-entry allocation beyond the hashed text. `push` pages in order, then `finish`.
 * @example
 * const v = new ChainVerifier({ head });
 * for await (const page of readAuditPages(db)) if (!v.push(page)) break;
 * const verdict = v.finish();
 */
export class ChainVerifier {
  #prevHash: string;
  #prevSeq: number;
  #index = 0;
  #stubs = 0;
  #failure: ChainVerdict | undefined;
  readonly #options: VerifyOptions;
  readonly #ownScope: string | undefined;
  /** Signed heads by seq; null when there are none, so the hot loop skips the lookup. */
  readonly #claims: Map<number, SignedClaim[]> | null;

  constructor(options: VerifyOptions = {}) {
    this.#options = options;
    this.#prevHash = options.startPrevHash ?? GENESIS_HASH;
    this.#prevSeq = options.startSeq ?? 0;
    this.#ownScope = options.workspace === undefined ? undefined : scopeOf(options.workspace);
    const claims = options.signedHeads ?? [];
    const bySeq = new Map<number, SignedClaim[]>();
    for (const claim of claims) bySeq.set(claim.seq, [...(bySeq.get(claim.seq) ?? []), claim]);
    this.#claims = claims.length === 0 ? null : bySeq;
  }

  /** Checks the next links; false once the chain is broken (later pages are then ignored). */
  push(links: readonly ChainLink[]): boolean {
    if (this.#failure) return false;
    let prevHash = this.#prevHash;
    let prevSeq = this.#prevSeq;
    for (let i = 0; i < links.length; i++) {
      const link = links[i]!;
      let problem = this.#check(link, prevSeq + 1, prevHash);
      if (problem === undefined && this.#claims !== null) problem = this.#checkClaims(this.#claims, link);
      if (problem !== undefined) {
        this.#failure = { ok: false, index: this.#index, seq: prevSeq + 1, reason: problem };
        return false;
      }
      prevHash = link.hash;
      prevSeq = link.seq;
      this.#index++;
    }
    this.#prevHash = prevHash;
    this.#prevSeq = prevSeq;
    return true;
  }

  #checkClaims(claims: Map<number, SignedClaim[]>, link: ChainLink): string | undefined {
    for (const claim of claims.get(link.seq) ?? [])
      if (claim.hash !== link.hash)
        return `the entry at seq ${link.seq} has hash ${link.hash}, but ${describeClaim(claim)} says otherwise: the chain was rewritten or forked at or before seq ${link.seq} after that head was signed`;
    return undefined;
  }

  #check(link: ChainLink, expectedSeq: number, prevHash: string): string | undefined {
    if (link.seq !== expectedSeq)
      return `expected seq ${expectedSeq}, found seq ${link.seq}: an entry is missing, added or moved`;
    if (link.prevHash !== prevHash)
      return `prev_hash ${link.prevHash} does not match the previous entry's hash ${prevHash}`;
    if (isStub(link)) {
      if (this.#ownScope === undefined)
        return "a stub (content withheld) in a full export: only a workspace export may withhold other workspaces' entries";
      if (link.scope === this.#ownScope)
        return `an entry of workspace ${this.#options.workspace} is withheld as a stub: its content was removed`;
      const recomputed = linkHash(prevHash, link.seq, link.scope, link.bodyDigest);
      if (recomputed !== link.hash)
        return `hash mismatch: stored ${link.hash}, recomputed ${recomputed} from the stub: the stub was altered`;
      this.#stubs++;
      return undefined;
    }
    if (this.#options.workspace !== undefined && link.workspace !== this.#options.workspace)
      return `an entry of ${link.workspace ?? "the installation"} appears in full in the export of workspace ${this.#options.workspace}`;
    const recomputed = entryHash(prevHash, link);
    if (recomputed !== link.hash)
      return `hash mismatch: stored ${link.hash}, recomputed ${recomputed}: the entry was altered`;
    return undefined;
  }

  /**
   * The verdict: the first failure, or ok when the chain ends at `expected` (default: the head
   * given to the constructor; a file's head line is known only once it is read) and reaches every
   * signed head. `asOf` (a file's signed head time) limits that to heads signed by then: an older
   * export is a true prefix of the chain as it was, while a head signed before it and beyond its
   * end means the export was cut.
   */
  finish(expected: ChainHead | undefined = this.#options.head, asOf?: string): ChainVerdict {
    if (this.#failure) return this.#failure;
    const head = { seq: this.#prevSeq, hash: this.#prevHash };
    const beyond = (this.#options.signedHeads ?? []).filter(
      (c) => c.seq > head.seq && (asOf === undefined || Date.parse(c.time) <= Date.parse(asOf)),
    );
    if (beyond.length > 0) {
      const claim = beyond.reduce((a, b) => (b.seq > a.seq ? b : a));
      return {
        ok: false,
        index: this.#index,
        seq: head.seq + 1,
        reason: `the chain ends at seq ${head.seq}, but ${describeClaim(claim)} shows it reached seq ${claim.seq}: entries were removed from the end after that head was signed`,
      };
    }
    if (expected && (expected.seq !== head.seq || expected.hash !== head.hash)) {
      return {
        ok: false,
        index: this.#index,
        seq: Math.min(head.seq, expected.seq) + 1,
        reason: `chain ends at seq ${head.seq} (${head.hash}) but the head is seq ${expected.seq} (${expected.hash}): entries were removed or added at the end`,
      };
    }
    const signed = this.#options.signedHeads?.length ?? 0;
    return {
      ok: true,
      count: this.#index,
      head,
      ...(this.#stubs > 0 ? { stubs: this.#stubs } : {}),
      ...(signed > 0 ? { signedHeads: signed } : {}),
    };
  }
}

/**
 * Recomputes every hash and link and reports the first entry that is wrong, and why.
 * @example
 * const verdict = verifyChain(entries, { head });
 * if (!verdict.ok) console.error(`entry ${verdict.seq}: ${verdict.reason}`);
 */
export function verifyChain(entries: readonly ChainLink[], options: VerifyOptions = {}): ChainVerdict {
  const verifier = new ChainVerifier(options);
  verifier.push(entries);
  return verifier.finish();
}
