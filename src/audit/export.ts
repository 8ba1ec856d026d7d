import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { canonicalJson } from "../core/digest.ts";
import { invalid } from "../core/errors.ts";
import type { Queryable } from "../store/db.ts";
import type { AuditDecision, AuditEntry } from "./entry.ts";
import { auditHead, readAuditPages } from "./store.ts";
import { type AuditStub, type ChainLink, stubOf } from "./stub.ts";
import { type ChainHead, type ChainVerdict, ChainVerifier } from "./verify.ts";

/** Entries verified per step when streaming a file (the store streams pages of its own). */
const BATCH = 10_000;

/**
 * Writes the chain as JSONL, one link per line, then a `{"head":{seq,hash}}` line that anchors
 * the end (so a removed tail is caught). The head is read first, so the file is a consistent
 * prefix even while others append. With `workspace`, the file starts with an
 * `{"export":{"workspace":…}}` line, and every entry of another workspace (or of the
 * installation) is written as a stub: the chain verifies through it, its content stays out.
 * @example const head = await exportAuditJsonl(db, "acme-audit.jsonl", { workspace: acme });
 */
export async function exportAuditJsonl(
  db: Queryable,
  path: string,
  options: { workspace?: string } = {},
): Promise<ChainHead> {
  const head = await auditHead(db);
  const out = createWriteStream(path, { mode: 0o600 });
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, "drain");
  };
  const own = options.workspace;
  try {
    if (own !== undefined) await write(`${canonicalJson({ export: { workspace: own } })}\n`);
    for await (const page of readAuditPages(db, { untilSeq: head.seq })) {
      let text = "";
      for (const entry of page)
        text += `${canonicalJson(own === undefined || entry.workspace === own ? entry : stubOf(entry))}\n`;
      await write(text);
    }
    await write(`${canonicalJson({ head })}\n`);
  } finally {
    out.end();
    await once(out, "close");
  }
  return head;
}

/** An exported file, parsed: its links, the head line (if any), and whose export it is. */
export interface AuditFile {
  entries: ChainLink[];
  head: ChainHead | null;
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
 * Reads an exported JSONL file, handing parsed links to `onLinks` in batches; a malformed line is
 * an `invalid_argument` naming the file and line.
 */
async function scanAuditJsonl(
  path: string,
  onStart: (workspace: string | null) => void,
  onLinks: (links: ChainLink[]) => void,
): Promise<{ head: ChainHead | null; workspace: string | null }> {
  let head: ChainHead | null = null;
  let workspace: string | null = null;
  let batch: ChainLink[] = [];
  let lineNo = 0;
  const field = () => `${path}:${lineNo}`;
  for await (const lines of lineChunks(path)) {
    for (let raw of lines) {
      lineNo++;
      if (raw.endsWith("\r")) raw = raw.slice(0, -1);
      if (raw.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        throw invalid(field(), "line is not JSON", raw, "Export the log again with exportAuditJsonl");
      }
      if (head)
        throw invalid(field(), "line after the head line", raw, "The head line must be the last line");
      if (lineNo === 1) {
        if (isRecord(value) && isRecord(value.export)) {
          if (typeof value.export.workspace !== "string")
            throw invalid(field(), "export line needs a workspace id", value, "Export the log again");
          workspace = value.export.workspace;
          onStart(workspace);
          continue;
        }
        onStart(null);
      }
      if (isRecord(value) && isRecord(value.head)) head = parseHead(value.head, field());
      else batch.push(parseLink(value, field));
    }
    if (batch.length >= BATCH) {
      onLinks(batch);
      batch = [];
    }
  }
  if (batch.length > 0) onLinks(batch);
  return { head, workspace };
}

/**
 * Reads a whole exported JSONL file into memory (small files, tests); verifyAuditFile streams.
 * @example const { entries, head, workspace } = await readAuditJsonl("audit.jsonl");
 */
export async function readAuditJsonl(path: string): Promise<AuditFile> {
  const entries: ChainLink[] = [];
  const { head, workspace } = await scanAuditJsonl(
    path,
    () => undefined,
    (links) => {
      for (const link of links) entries.push(link);
    },
  );
  return { entries, head, workspace };
}

/** A file's verdict, with whose export it was. */
export type FileVerdict = ChainVerdict & { workspace: string | null };

/**
 * Verifies an exported file offline, streaming: every link, every full entry's hash, every
 * stub's hash from its scope and body digest, and that the chain ends at the head line (or at
 * `options.head`, an anchor recorded elsewhere, which wins over the file's own). In a workspace
 * export, a stub of that workspace's own scope fails: content may not be withheld from its auditor.
 * @example const verdict = await verifyAuditFile("acme-audit.jsonl"); // { ok, count, head, stubs, workspace }
 */
export async function verifyAuditFile(
  path: string,
  options: { head?: ChainHead } = {},
): Promise<FileVerdict> {
  let verifier = new ChainVerifier();
  const { head, workspace } = await scanAuditJsonl(
    path,
    (ws) => {
      if (ws !== null) verifier = new ChainVerifier({ workspace: ws });
    },
    (links) => verifier.push(links),
  );
  const anchor = options.head ?? head ?? undefined;
  return { ...verifier.finish(anchor), workspace };
}

/**
 * Verifies the log in the database against its head row, streaming it in pages. The next page is
 * asked for before the current one is hashed, so a server reads while this process hashes.
 * @example const verdict = await verifyAuditLog(db); // { ok: true, count: 1234, head }
 */
export async function verifyAuditLog(
  db: Queryable,
  options: { pageSize?: number } = {},
): Promise<ChainVerdict> {
  const head = await auditHead(db);
  const verifier = new ChainVerifier({ head });
  const pages = readAuditPages(db, { untilSeq: head.seq, ...options });
  let next = pages.next();
  for (;;) {
    const page = await next;
    if (page.done) break;
    next = pages.next();
    if (!verifier.push(page.value)) {
      await next;
      await pages.return(undefined);
      break;
    }
  }
  return verifier.finish();
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
const STUB_STRINGS = ["prevHash", "hash", "scope", "bodyDigest"] as const;

function parseLink(value: unknown, field: () => string): ChainLink {
  const bad = (problem: string) =>
    invalid(field(), problem, value, "Export the log again with exportAuditJsonl");
  if (!isRecord(value)) throw bad("line is not an audit entry object");
  if (typeof value.seq !== "number" || !Number.isSafeInteger(value.seq)) throw bad("seq must be an integer");
  if ("bodyDigest" in value) {
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
