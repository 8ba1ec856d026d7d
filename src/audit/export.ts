import { once } from "node:events";
import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";
import { canonicalJson } from "../core/digest.ts";
import type { SigningKey } from "../provenance/signing-key.ts";
import type { Queryable } from "../store/db.ts";
import { type SignedHead, signHead } from "./signed-head.ts";
import { auditHead, readAuditPages } from "./store.ts";
import { stubOf } from "./stub.ts";
import { type ChainVerdict, ChainVerifier, type SignedClaim } from "./verify.ts";

/**
 * Writes the chain as JSONL, one link per line, then a `{"signedHead":<DSSE envelope>}` line: the
 * head (seq, hash, time) signed with the installation key, which anchors the end (so a removed
 * tail, or a rewritten head line, is caught). The head is read first, so the file is a
 * consistent prefix even while others append. With `workspace`, the file starts with an
 * `{"export":{"workspace":…}}` line, and every entry of another workspace (or of the
 * installation) is written as a stub: the chain verifies through it, its content stays out.
 * Returns the signed head, for the caller to append to the heads file.
 * @example const head = await exportAuditJsonl(db, "acme-audit.jsonl", { workspace: acme, key });
 */
export async function exportAuditJsonl(
  db: Queryable,
  to: string | Writable,
  options: { workspace?: string; key: SigningKey },
): Promise<SignedHead> {
  const head = signHead(await auditHead(db), options.key);
  // a path is a file of this export's own (owner-only); a stream (stdout) stays open for its owner
  const out = typeof to === "string" ? createWriteStream(to, { mode: 0o600 }) : to;
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
    await write(`${canonicalJson({ signedHead: head.envelope })}\n`);
  } finally {
    if (typeof to === "string") {
      out.end();
      await once(out, "close");
    }
  }
  return head;
}

/**
 * Verifies the log in the database against its head row, streaming it in pages, and that it
 * extends every head signed before (`signedHeads`, signatures already checked: see
 * readHeadFile): the head row and the rows are the database's word, the signed heads are not.
 * The next page is asked for before the current one is hashed, so a server reads while this
 * process hashes.
 * @example const verdict = await verifyAuditLog(db, { signedHeads: readHeadFile(headsPath, keys) });
 */
export async function verifyAuditLog(
  db: Queryable,
  options: { pageSize?: number; signedHeads?: readonly SignedClaim[] } = {},
): Promise<ChainVerdict> {
  const head = await auditHead(db);
  const verifier = new ChainVerifier({ head, signedHeads: options.signedHeads ?? [] });
  const pages = readAuditPages(db, {
    untilSeq: head.seq,
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  });
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

export { type AuditFile, type FileVerdict, readAuditJsonl, verifyAuditFile } from "./export-file.ts";
