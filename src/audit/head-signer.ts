import { CrucibleError } from "../core/errors.ts";
import type { SigningKey } from "../provenance/signing-key.ts";
import type { Queryable } from "../store/db.ts";
import { appendHeadFile, lastHeadInFile, type SignedHead, signHead } from "./signed-head.ts";
import { auditHead } from "./store.ts";
import type { ChainHead } from "./verify.ts";

/**
 * When and where heads are signed. Everything an attacker with the database rewrites after a
 * signed head is caught by `audit verify`; what was appended since the last one is not yet
 * anchored, so the cadence bounds that window.
 */
export interface HeadSigning {
  /**
   * Loads the installation key, called only when a head is due; null where this process has no
   * installation key (a CLI on an operator's laptop must not sign with a key of its own).
   */
  key: () => SigningKey | null;
  /** The append-only heads file, e.g. `$CRUCIBLE_HOME/audit/heads.jsonl`. */
  headsFile: string;
  /** Sign once the head has moved this many entries past the last signed head. */
  everyAppends: number;
  /** Sign once this many seconds have passed since the last signed head, if the head moved. */
  everySeconds: number;
}

/** 100 appends or one minute: a rewrite of anything older than a minute is caught. */
export const DEFAULT_HEAD_EVERY_APPENDS = 100;
export const DEFAULT_HEAD_EVERY_SECONDS = 60;

/**
 * Signs the current head and appends it to the heads file, whatever the cadence (an export,
 * `crucible audit head`). Returns the signed head, for the caller to ship elsewhere too.
 * @example const signed = await signHeadNow(db, signing); console.log(JSON.stringify(signed.envelope));
 */
export async function signHeadNow(db: Queryable, signing: HeadSigning): Promise<SignedHead> {
  const key = requireKey(signing);
  const head = await auditHead(db);
  await assertExtends(db, head, lastHeadInFile(signing.headsFile));
  const signed = signHead(head, key);
  appendHeadFile(signing.headsFile, signed);
  return signed;
}

/**
 * Signs the head if it is due: it moved `everyAppends` entries past the last signed head, or it
 * moved at all and `everySeconds` passed since that one was signed. Returns the new signed head,
 * or null when none was due. Entry points call it after each command and on a timer.
 * @example setInterval(() => void signHeadIfDue(db, signing), signing.everySeconds * 1000);
 */
export async function signHeadIfDue(
  db: Queryable,
  signing: HeadSigning,
  now: Date = new Date(),
): Promise<SignedHead | null> {
  const head = await auditHead(db);
  const last = lastHeadInFile(signing.headsFile);
  if (!isDue(head.seq, last, signing, now)) return null;
  const key = signing.key();
  if (!key) return null;
  await assertExtends(db, head, last);
  const signed = signHead(head, key, now);
  appendHeadFile(signing.headsFile, signed);
  return signed;
}

/**
 * The installation key, or an error saying where to run instead (an export and `audit head`
 * must sign with the installation's key, never with one of their own).
 * @example const key = requireKey(signing); await exportAuditJsonl(db, out, { key });
 */
export function requireKey(signing: HeadSigning): SigningKey {
  const key = signing.key();
  if (key) return key;
  throw new CrucibleError(
    "failed_precondition",
    "there is no installation signing key here to sign the audit head with",
    {
      field: "signing key",
      value: signing.headsFile,
      fix: "Run this on the control plane's host, where $CRUCIBLE_HOME/keys holds the installation key",
    },
  );
}

/**
 * Throws unless the chain extends the last head in the heads file: an export signs its head, and
 * must not bless a cut or a fork either.
 * @example await assertExtendsLastHead(db, signing.headsFile); await exportAuditJsonl(db, out, { key });
 */
export async function assertExtendsLastHead(db: Queryable, headsFile: string): Promise<void> {
  await assertExtends(db, await auditHead(db), lastHeadInFile(headsFile));
}

/**
 * A head is signed only over a chain that extends the last one signed: signing over a cut or a
 * fork would bless it. Checked against the last head in the file, one row read.
 */
async function assertExtends(db: Queryable, head: ChainHead, last: ChainHead | null): Promise<void> {
  if (!last) return;
  const { rows } = await db.query<{ hash: string }>("SELECT hash FROM audit_log WHERE seq = $1", [last.seq]);
  const found = last.seq === 0 ? last.hash : rows[0]?.hash;
  if (head.seq >= last.seq && found === last.hash) return;
  throw new CrucibleError(
    "failed_precondition",
    `the chain (head seq ${head.seq}) does not extend the last signed head seq ${last.seq} (hash ${last.hash}): not signing over a cut or rewritten chain`,
    {
      field: "audit head",
      value: head.seq,
      fix: "Run `crucible audit verify` to see where the chain and the signed heads part, and restore the log from a verified export",
    },
  );
}

function isDue(
  seq: number,
  last: (ChainHead & { time: string }) | null,
  signing: HeadSigning,
  now: Date,
): boolean {
  if (last === null) return seq > 0;
  if (seq === last.seq) return false;
  // a head below the last signed one is a cut tail: sign nothing, `audit verify` names it
  if (seq < last.seq) return false;
  const elapsed = (now.getTime() - Date.parse(last.time)) / 1000;
  return seq - last.seq >= signing.everyAppends || !(elapsed < signing.everySeconds);
}
