import { CrucibleError } from "../core/errors.ts";
import type { Queryable } from "../store/db.ts";
import { appendHeadFile, lastHeadInFile, type SignedHead, signHead } from "./signed-head.ts";
import type { SigningKey } from "./signing-key.ts";
import { auditHead } from "./store.ts";

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
  const key = signing.key();
  if (!key)
    throw new CrucibleError(
      "failed_precondition",
      "this installation has no signing key here to sign the head with",
      {
        field: "signing key",
        value: signing.headsFile,
        fix: "Run this on the control plane's host, where $CRUCIBLE_HOME/keys holds the installation key",
      },
    );
  const signed = signHead(await auditHead(db), key);
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
  const signed = signHead(head, key, now);
  appendHeadFile(signing.headsFile, signed);
  return signed;
}

function isDue(
  seq: number,
  last: { seq: number; time: string } | null,
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
