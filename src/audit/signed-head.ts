import type { KeyObject } from "node:crypto";
import {
  appendFileSync,
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
} from "node:fs";
import { dirname } from "node:path";
import { canonicalJson } from "../core/digest.ts";
import { invalid } from "../core/errors.ts";
import { type DsseEnvelope, signEnvelope, verifyEnvelope } from "../provenance/dsse.ts";
import type { SigningKey } from "../provenance/signing-key.ts";
import type { ChainHead } from "./verify.ts";

/** The DSSE payload type of a signed audit head: no other signed document can pass for one. */
export const HEAD_PAYLOAD_TYPE = "application/vnd.crucible.audit-head+json";

/**
 * The chain's head as the installation key signed it: "at `time`, the entry at `seq` had `hash`".
 * A live chain that does not extend it (other hash at seq, or no entry at seq) was rewritten.
 */
export interface SignedHead extends ChainHead {
  /** ISO-8601 UTC time of signing. */
  time: string;
  /** The key that signed it (verified, not merely claimed). */
  keyid: string;
  envelope: DsseEnvelope;
}

/**
 * Signs (seq, hash, time) with the installation key.
 * @example const signed = signHead(await auditHead(db), key); appendHeadFile(headsPath, signed);
 */
export function signHead(head: ChainHead, key: SigningKey, time: Date = new Date()): SignedHead {
  const claim = { seq: head.seq, hash: head.hash, time: time.toISOString() };
  const envelope = signEnvelope(
    HEAD_PAYLOAD_TYPE,
    Buffer.from(canonicalJson(claim)),
    key.privateKey,
    key.keyid,
  );
  return { ...claim, keyid: key.keyid, envelope };
}

const PAYLOAD_KEYS = ["hash", "seq", "time"];

/**
 * Checks a signed head's signature with the installation's public keys (current and retired, by
 * keyid) and reads its claim. `field` names where it came from in the error (a file and line).
 * @example const head = openSignedHead(envelope, loadVerificationKeys(keysDir), "heads.jsonl:3");
 */
export function openSignedHead(
  value: unknown,
  keys: KeyObject | ReadonlyMap<string, KeyObject>,
  field: string,
): SignedHead {
  const fix = "Use a head signed by this installation (`crucible audit head`), with its public key";
  if (!isEnvelope(value)) throw invalid(field, "is not a DSSE envelope of a signed audit head", value, fix);
  if (value.payloadType !== HEAD_PAYLOAD_TYPE)
    throw invalid(field, `payloadType must be ${HEAD_PAYLOAD_TYPE}`, value.payloadType, fix);
  const verified = verifyEnvelope(value, keys);
  if (!verified)
    throw invalid(
      field,
      "signature does not verify with any of the installation's public keys: the head was rewritten or signed elsewhere",
      value.signatures.map((s) => s.keyid),
      fix,
    );
  let claim: unknown;
  try {
    claim = JSON.parse(verified.payload.toString("utf8"));
  } catch {
    throw invalid(field, "signed payload is not JSON", verified.payload.toString("utf8"), fix);
  }
  const record = claim as Record<string, unknown>;
  const names = typeof claim === "object" && claim !== null ? Object.keys(claim).sort() : [];
  if (
    names.join() !== PAYLOAD_KEYS.join() ||
    !Number.isSafeInteger(record.seq) ||
    typeof record.hash !== "string" ||
    typeof record.time !== "string" ||
    Number.isNaN(Date.parse(record.time))
  )
    throw invalid(field, "signed payload must be exactly {seq, hash, time}", claim, fix);
  return {
    seq: record.seq as number,
    hash: record.hash as string,
    time: record.time as string,
    keyid: verified.keyid,
    envelope: value,
  };
}

function isEnvelope(value: unknown): value is DsseEnvelope {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.payloadType === "string" &&
    typeof v.payload === "string" &&
    Array.isArray(v.signatures) &&
    v.signatures.every(
      (s) => typeof s === "object" && s !== null && typeof s.keyid === "string" && typeof s.sig === "string",
    )
  );
}

/**
 * Appends one signed head (its envelope, one JSON line) to an append-only heads file, creating
 * it 0644 (heads are public: a hash and a number). One `write` per line, opened for append, so
 * lines from several processes never interleave.
 * @example appendHeadFile(join(home, "audit", "heads.jsonl"), signHead(head, key));
 */
export function appendHeadFile(path: string, head: SignedHead): void {
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, `${JSON.stringify(head.envelope)}\n`, { mode: 0o644 });
}

/**
 * Every signed head in a heads file, each signature verified. A line is a DSSE envelope, or an
 * object with an `envelope` member (what `crucible audit head --json` prints). A missing file
 * holds no heads; any bad line is an error naming the file and line.
 * @example const heads = readHeadFile(path, loadVerificationKeys(keysDir));
 */
export function readHeadFile(path: string, keys: KeyObject | ReadonlyMap<string, KeyObject>): SignedHead[] {
  if (!existsSync(path)) return [];
  const heads: SignedHead[] = [];
  readFileSync(path, "utf8")
    .split("\n")
    .forEach((line, i) => {
      if (line.trim() === "") return;
      const field = `${path}:${i + 1}`;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw invalid(field, "line is not JSON", line, "Keep one signed head (a DSSE envelope) per line");
      }
      const envelope =
        typeof value === "object" && value !== null && "envelope" in value
          ? (value as { envelope: unknown }).envelope
          : value;
      heads.push(openSignedHead(envelope, keys, field));
    });
  return heads;
}

/**
 * The last signed head in a heads file, unverified (it decides only whether a new one is due),
 * read from the file's tail so a long file costs no more than a short one.
 * @example lastHeadInFile(path)?.seq // 1200
 */
export function lastHeadInFile(path: string): (ChainHead & { time: string }) | null {
  if (!existsSync(path)) return null;
  const fd = openSync(path, "r");
  try {
    const tail = Buffer.alloc(8192);
    const { size } = fstatSync(fd);
    const read = readSync(fd, tail, 0, tail.length, Math.max(0, size - tail.length));
    const lines = tail.subarray(0, read).toString("utf8").trimEnd().split("\n");
    const envelope = JSON.parse(lines.at(-1) ?? "null") as DsseEnvelope | null;
    if (!envelope) return null;
    const claim = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8")) as ChainHead & {
      time: string;
    };
    return { seq: claim.seq, hash: claim.hash, time: claim.time };
  } catch {
    return null; // unreadable or mid-write: a new head is then due, which is the safe answer
  } finally {
    closeSync(fd);
  }
}
