import type { KeyObject } from "node:crypto";
import { createReadStream } from "node:fs";
import { invalid } from "../core/errors.ts";
import type { AuditDecision, AuditEntry } from "./entry.ts";
import { openSignedHead, type SignedHead } from "./signed-head.ts";
import type { AuditStub, ChainLink } from "./stub.ts";
import { type ChainVerdict, ChainVerifier, type SignedClaim } from "./verify.ts";

/** Entries verified per step when streaming a file (the store streams pages of its own). */
const BATCH = 10_000;

/** The public keys a file's signed head must verify with: one key, or a keyring by keyid. */
export type HeadKeys = KeyObject | ReadonlyMap<string, KeyObject>;

/** An exported file, parsed: its links, its signed head (if any), and whose export it is. */
export interface AuditFile {
  entries: ChainLink[];
  head: SignedHead | null;
  /** The workspace of a workspace export; null for an installation-wide export. */
  workspace: string | null;
}

/**
 * The lines of a UTF-8 file, a chunk (about 1 MiB) at a time: one await per chunk, not per line.
 * A trailing CR is dropped, so CRLF files read the same.
 */
async function* lineChunks(path: string): AsyncGenerator<string[]> {
  let rest = "";
  for await (const chunk of createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20 })) {
    const lines = (rest + (chunk as string)).split("\n");
    rest = lines.pop()!;
    yield lines;
  }
  if (rest !== "") yield [rest];
}

/**
 * Reads an exported JSONL file, handing parsed links to `onLinks` in batches; a malformed line,
 * a member no export writes, or a signed head that does not verify is an `invalid_argument`
 * naming the file and line.
 */
async function scanAuditJsonl(
  path: string,
  keys: HeadKeys,
  onStart: (workspace: string | null) => void,
  onLinks: (links: ChainLink[]) => void,
): Promise<{ head: SignedHead | null; workspace: string | null; lines: number }> {
  let head: SignedHead | null = null;
  let workspace: string | null = null;
  let batch: ChainLink[] = [];
  let lineNo = 0;
  let lines = 0;
  const field = () => `${path}:${lineNo}`;
  for await (const chunk of lineChunks(path)) {
    for (let raw of chunk) {
      lineNo++;
      if (raw.endsWith("\r")) raw = raw.slice(0, -1);
      if (raw.trim() === "") continue;
      lines++;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        throw invalid(field(), "line is not JSON", raw, "Export the log again with `crucible audit export`");
      }
      if (head)
        throw invalid(
          field(),
          "line after the signed head line",
          raw,
          "The signed head line must be the last line",
        );
      if (lineNo === 1) {
        if (isRecord(value) && "export" in value) {
          workspace = parseExportLine(value, field());
          onStart(workspace);
          continue;
        }
        onStart(null);
      }
      if (isRecord(value) && "head" in value)
        throw invalid(
          field(),
          "an unsigned head line: the file's end is anchored only by a signed head",
          raw,
          "Export the log again with `crucible audit export`, which signs the head",
        );
      if (isRecord(value) && "signedHead" in value) {
        exactKeys(value, ["signedHead"], field());
        head = openSignedHead(value.signedHead, keys, field());
      } else batch.push(parseLink(value, field));
    }
    if (batch.length >= BATCH) {
      onLinks(batch);
      batch = [];
    }
  }
  if (batch.length > 0) onLinks(batch);
  return { head, workspace, lines };
}

/**
 * Reads a whole exported JSONL file into memory (small files, tests); verifyAuditFile streams.
 * @example const { entries, head, workspace } = await readAuditJsonl("audit.jsonl", keys);
 */
export async function readAuditJsonl(path: string, keys: HeadKeys): Promise<AuditFile> {
  const entries: ChainLink[] = [];
  const { head, workspace } = await scanAuditJsonl(
    path,
    keys,
    () => undefined,
    (links) => {
      for (const link of links) entries.push(link);
    },
  );
  return { entries, head, workspace };
}

/** A file's verdict, with whose export it was and when its head was signed (the chain as of then). */
export type FileVerdict = ChainVerdict & { workspace: string | null; signedAt?: string };

/**
 * Verifies an exported file offline, streaming: every link, every full entry's hash, every
 * stub's hash from its scope and body digest, and that the chain ends exactly at the file's
 * signed head, whose signature must verify with `keys` (an unsigned, missing or rewritten head
 * fails: without it a cut tail would pass). The file must agree with every one of `signedHeads`
 * (the heads file, `--head`) it reaches, and reach every one signed before its own head. In a
 * workspace export, a stub of that workspace's own scope fails.
 * @example const verdict = await verifyAuditFile("acme-audit.jsonl", { keys }); // { ok, count, head, stubs, workspace }
 */
export async function verifyAuditFile(
  path: string,
  options: { keys: HeadKeys; signedHeads?: readonly SignedClaim[] },
): Promise<FileVerdict> {
  const signedHeads = options.signedHeads ?? [];
  let verifier = new ChainVerifier({ signedHeads });
  const { head, workspace, lines } = await scanAuditJsonl(
    path,
    options.keys,
    (ws) => {
      if (ws !== null) verifier = new ChainVerifier({ workspace: ws, signedHeads });
    },
    (links) => verifier.push(links),
  );
  if (lines === 0)
    throw invalid(
      "--file",
      "is empty: an export holds its entries and a signed head",
      path,
      "Export the log again",
    );
  if (!head)
    return {
      ok: false,
      index: 0,
      seq: 0,
      reason: "the file has no signed head line: its end is not anchored, so a cut tail would pass unseen",
      workspace,
    };
  return { ...verifier.finish(head, head.time), workspace, signedAt: head.time };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every member must be one an export writes: an unknown one could carry content no hash covers. */
function exactKeys(value: Record<string, unknown>, known: readonly string[], field: string): void {
  for (const key of Object.keys(value))
    if (!known.includes(key))
      throw invalid(
        `${field} ${key}`,
        `is not a member of an audit export line (known: ${known.join(", ")})`,
        value[key],
        "Export the log again with `crucible audit export`; do not add members to its lines",
      );
}

function parseExportLine(value: Record<string, unknown>, field: string): string {
  exactKeys(value, ["export"], field);
  if (!isRecord(value.export) || typeof value.export.workspace !== "string")
    throw invalid(field, "export line needs a workspace id", value, "Export the log again");
  exactKeys(value.export, ["workspace"], `${field} export`);
  return value.export.workspace;
}

const ENTRY_KEYS = [
  "seq",
  "time",
  "workspace",
  "actor",
  "action",
  "resource",
  "decision",
  "rules",
  "reason",
  "payloadDigest",
  "prevHash",
  "hash",
] as const;
const STUB_KEYS = ["seq", "prevHash", "hash", "scope", "bodyDigest"] as const;
const STRINGS = ["time", "actor", "action", "resource", "prevHash", "hash"] as const;
const NULLABLE = ["workspace", "reason", "payloadDigest"] as const;
const STUB_STRINGS = ["prevHash", "hash", "scope", "bodyDigest"] as const;

function parseLink(value: unknown, field: () => string): ChainLink {
  const bad = (problem: string) =>
    invalid(field(), problem, value, "Export the log again with `crucible audit export`");
  if (!isRecord(value)) throw bad("line is not an audit entry object");
  if (typeof value.seq !== "number" || !Number.isSafeInteger(value.seq)) throw bad("seq must be an integer");
  if ("bodyDigest" in value) {
    exactKeys(value, STUB_KEYS, field());
    for (const key of STUB_STRINGS) if (typeof value[key] !== "string") throw bad(`${key} must be a string`);
    const stub: AuditStub = {
      seq: value.seq,
      prevHash: value.prevHash as string,
      hash: value.hash as string,
      scope: value.scope as string,
      bodyDigest: value.bodyDigest as string,
    };
    return stub;
  }
  exactKeys(value, ENTRY_KEYS, field());
  for (const key of STRINGS) if (typeof value[key] !== "string") throw bad(`${key} must be a string`);
  for (const key of NULLABLE)
    if (value[key] !== null && typeof value[key] !== "string") throw bad(`${key} must be a string or null`);
  if (value.decision !== "allow" && value.decision !== "deny") throw bad("decision must be allow or deny");
  if (!Array.isArray(value.rules) || !value.rules.every((r) => typeof r === "string"))
    throw bad("rules must be a list of strings");
  const entry: AuditEntry = {
    seq: value.seq,
    time: value.time as string,
    workspace: value.workspace as string | null,
    actor: value.actor as string,
    action: value.action as string,
    resource: value.resource as string,
    decision: value.decision as AuditDecision,
    rules: value.rules as string[],
    reason: value.reason as string | null,
    payloadDigest: value.payloadDigest as string | null,
    prevHash: value.prevHash as string,
    hash: value.hash as string,
  };
  return entry;
}
