import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { canonicalJson } from "../core/digest.ts";
import { invalid } from "../core/errors.ts";
import type { Queryable } from "../store/db.ts";
import type { AuditDecision, AuditEntry } from "./entry.ts";
import { auditHead, readAudit } from "./store.ts";
import { type ChainHead, type ChainVerdict, verifyChain } from "./verify.ts";

/**
 * Writes the whole chain as JSONL: one entry per line, then one `{"head":{seq,hash}}` line that
 * anchors the end (so a removed tail is caught). The head is read first, so the file is a
 * consistent prefix even while others append.
 * @example const head = await exportAuditJsonl(db, "audit.jsonl");
 */
export async function exportAuditJsonl(db: Queryable, path: string): Promise<ChainHead> {
  const head = await auditHead(db);
  const out = createWriteStream(path, { mode: 0o600 });
  const write = async (line: string): Promise<void> => {
    if (!out.write(`${line}\n`)) await once(out, "drain");
  };
  try {
    for await (const entry of readAudit(db, { untilSeq: head.seq })) await write(canonicalJson(entry));
    await write(canonicalJson({ head }));
  } finally {
    out.end();
    await once(out, "close");
  }
  return head;
}

/** An exported file, parsed: its entries and the head line (if it has one). */
export interface AuditFile {
  entries: AuditEntry[];
  head: ChainHead | null;
}

/**
 * Reads an exported JSONL file; a malformed line is an `invalid_argument` naming the line.
 * @example const { entries, head } = await readAuditJsonl("audit.jsonl");
 */
export async function readAuditJsonl(path: string): Promise<AuditFile> {
  const entries: AuditEntry[] = [];
  let head: ChainHead | null = null;
  let lineNo = 0;
  const lines = createInterface({
    input: createReadStream(path, "utf8"),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === "") continue;
    const field = `${path}:${lineNo}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw invalid(field, "line is not JSON", line, "Export the log again with exportAuditJsonl");
    }
    if (head) throw invalid(field, "line after the head line", line, "The head line must be the last line");
    if (isRecord(value) && isRecord(value.head)) head = parseHead(value.head, field);
    else entries.push(parseEntry(value, field));
  }
  return { entries, head };
}

/**
 * Verifies an exported file offline: every hash and link, and that the chain ends at the head
 * line (or at `options.head`, an anchor recorded elsewhere, which wins over the file's own).
 * @example const verdict = await verifyAuditFile("audit.jsonl");
 */
export async function verifyAuditFile(
  path: string,
  options: { head?: ChainHead } = {},
): Promise<ChainVerdict> {
  const file = await readAuditJsonl(path);
  const head = options.head ?? file.head ?? undefined;
  return verifyChain(file.entries, head ? { head } : {});
}

/**
 * Verifies the log in the database against its head row.
 * @example const verdict = await verifyAuditLog(db); // { ok: true, count: 1234, head }
 */
export async function verifyAuditLog(db: Queryable): Promise<ChainVerdict> {
  const head = await auditHead(db);
  const entries: AuditEntry[] = [];
  for await (const entry of readAudit(db, { untilSeq: head.seq })) entries.push(entry);
  return verifyChain(entries, { head });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseHead(value: Record<string, unknown>, field: string): ChainHead {
  if (typeof value.seq !== "number" || typeof value.hash !== "string")
    throw invalid(field, "head line needs a numeric seq and a string hash", value, "Export the log again");
  return { seq: value.seq, hash: value.hash };
}

const STRINGS = ["time", "actor", "action", "resource", "prevHash", "hash"] as const;
const NULLABLE = ["workspace", "reason", "payloadDigest"] as const;

function parseEntry(value: unknown, field: string): AuditEntry {
  const bad = (problem: string) =>
    invalid(field, problem, value, "Export the log again with exportAuditJsonl");
  if (!isRecord(value)) throw bad("line is not an audit entry object");
  if (typeof value.seq !== "number" || !Number.isSafeInteger(value.seq)) throw bad("seq must be an integer");
  for (const key of STRINGS) if (typeof value[key] !== "string") throw bad(`${key} must be a string`);
  for (const key of NULLABLE)
    if (value[key] !== null && typeof value[key] !== "string") throw bad(`${key} must be a string or null`);
  if (value.decision !== "allow" && value.decision !== "deny") throw bad("decision must be allow or deny");
  if (!Array.isArray(value.rules) || !value.rules.every((r) => typeof r === "string"))
    throw bad("rules must be a list of strings");
  return {
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
}
