import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { expect, it } from "vitest";
import { appendAuditBatch } from "../../src/audit/append.ts";
import type { AuditEntry, AuditInput } from "../../src/audit/entry.ts";
import { exportAuditJsonl, readAuditJsonl, verifyAuditFile } from "../../src/audit/export.ts";
import { isStub, stubOf } from "../../src/audit/stub.ts";
import { canonicalJson } from "../../src/core/digest.ts";
import { generateSigningKey } from "../../src/provenance/keyring.ts";
import type { Db } from "../../src/store/db.ts";
import { describeEachStore } from "../support/stores.ts";

/** The installation key the exports are signed with. */
const key = generateSigningKey();

const OWNERS = ["ws_acme", "ws_rival", null] as const;

/** Entries of acme, of another workspace (with content acme's auditor must not see), and of the installation. */
const input = (i: number): AuditInput => {
  const workspace = OWNERS[i % 3]!;
  return {
    workspace,
    actor: workspace === "ws_rival" ? `usr_rival_secret_${i}` : `usr_${i % 4}`,
    action: workspace === "ws_rival" ? "dataset.approve" : "run.start",
    resource: workspace === "ws_rival" ? `DatasetVersion::"rival-confidential-${i}"` : `Run::"run_${i}"`,
    decision: i % 2 ? "allow" : "deny",
    rules: ["rule.x"],
    reason: workspace === "ws_rival" ? "rival reason text" : null,
    payload: { i },
  };
};

async function exported(db: Db, n: number): Promise<{ path: string; lines: string[] }> {
  await db.transaction((tx) =>
    appendAuditBatch(
      tx,
      Array.from({ length: n }, (_, i) => input(i)),
    ),
  );
  const path = join(mkdtempSync(join(tmpdir(), "ws-audit-")), "acme.jsonl");
  await exportAuditJsonl(db, path, { workspace: "ws_acme", key });
  return { path, lines: readFileSync(path, "utf8").trimEnd().split("\n") };
}

const rewrite = (path: string, lines: readonly string[]) => writeFileSync(path, `${lines.join("\n")}\n`);
/** Index in the file of the line holding seq (line 0 is the export line). */
const lineOf = (seq: number) => seq;

describeEachStore("workspace audit export", (open) => {
  it("verifies offline through other workspaces' stubs and shows none of their content", async () => {
    const db = await open();
    try {
      const { path, lines } = await exported(db, 30);
      expect(JSON.parse(lines[0]!)).toEqual({ export: { workspace: "ws_acme" } });
      const text = readFileSync(path, "utf8");
      expect(text).not.toContain("rival");
      expect(text).not.toContain("dataset.approve");
      const file = await readAuditJsonl(path, key.publicKey);
      expect(file.entries.filter(isStub)).toHaveLength(20);
      expect(
        file.entries.filter((e) => !isStub(e)).every((e) => (e as AuditEntry).workspace === "ws_acme"),
      ).toBe(true);
      expect(await verifyAuditFile(path, { keys: key.publicKey })).toMatchObject({
        ok: true,
        count: 30,
        stubs: 20,
        workspace: "ws_acme",
      });
    } finally {
      await db.close();
    }
  });

  it("detects a tampered full entry of the workspace", async () => {
    const db = await open();
    try {
      const { path, lines } = await exported(db, 12);
      const at = lineOf(4); // seq 4 is acme's (index 3)
      expect(lines[at]).toContain('"ws_acme"');
      rewrite(
        path,
        lines.map((l, i) => (i === at ? l.replace('"run.start"', '"run.cancel"') : l)),
      );
      expect(await verifyAuditFile(path, { keys: key.publicKey })).toMatchObject({
        ok: false,
        seq: 4,
        reason: /hash mismatch/,
      });
    } finally {
      await db.close();
    }
  });

  it("refuses a stub that stands in for one of the workspace's own entries", async () => {
    const db = await open();
    try {
      const { path, lines } = await exported(db, 12);
      const at = lineOf(7);
      const own = JSON.parse(lines[at]!) as AuditEntry;
      expect(own.workspace).toBe("ws_acme");
      // the forger keeps the chain intact: the stub carries the real hashes of the deleted entry
      rewrite(
        path,
        lines.map((l, i) => (i === at ? canonicalJson(stubOf(own)) : l)),
      );
      expect(await verifyAuditFile(path, { keys: key.publicKey })).toMatchObject({
        ok: false,
        seq: 7,
        reason: /withheld as a stub/,
      });
      // claiming another scope for it breaks the stub's own hash
      const disguised = { ...stubOf(own), scope: "0".repeat(64) };
      rewrite(
        path,
        lines.map((l, i) => (i === at ? canonicalJson(disguised) : l)),
      );
      expect(await verifyAuditFile(path, { keys: key.publicKey })).toMatchObject({
        ok: false,
        seq: 7,
        reason: /stub was altered/,
      });
      // and dropping the line leaves a gap
      rewrite(
        path,
        lines.filter((_, i) => i !== at),
      );
      expect(await verifyAuditFile(path, { keys: key.publicKey })).toMatchObject({
        ok: false,
        seq: 7,
        reason: /missing/,
      });
    } finally {
      await db.close();
    }
  });

  it("refuses stubs in a full export, and an export line that names another workspace", async () => {
    const db = await open();
    try {
      const { path, lines } = await exported(db, 9);
      rewrite(path, lines.slice(1)); // without the export line it claims to be a full export
      expect(await verifyAuditFile(path, { keys: key.publicKey })).toMatchObject({
        ok: false,
        seq: 2,
        reason: /stub .* in a full export/,
      });
      rewrite(path, [canonicalJson({ export: { workspace: "ws_rival" } }), ...lines.slice(1)]);
      expect(await verifyAuditFile(path, { keys: key.publicKey })).toMatchObject({
        ok: false,
        seq: 1,
        reason: /appears in full/,
      });
    } finally {
      await db.close();
    }
  });

  it("detects every random edit, deletion, stubbing and reordering of the workspace export (property)", async () => {
    const db = await open();
    try {
      const { path, lines } = await exported(db, 24);
      const body = lines.slice(1, -1);
      const edit = fc.oneof(
        fc.record({ kind: fc.constant("delete" as const), at: fc.nat(body.length - 1) }),
        fc.record({ kind: fc.constant("stub" as const), at: fc.nat(body.length - 1) }),
        fc.record({
          kind: fc.constant("swap" as const),
          a: fc.nat(body.length - 1),
          b: fc.nat(body.length - 1),
        }),
        fc.record({
          kind: fc.constant("modify" as const),
          at: fc.nat(body.length - 1),
          key: fc.constantFrom(
            "actor",
            "action",
            "resource",
            "time",
            "seq",
            "scope",
            "bodyDigest",
            "prevHash",
          ),
        }),
      );
      await fc.assert(
        fc.asyncProperty(edit, async (e) => {
          const out = [...body];
          if (e.kind === "delete") out.splice(e.at, 1);
          if (e.kind === "swap") [out[e.a], out[e.b]] = [out[e.b]!, out[e.a]!];
          if (e.kind === "stub" || e.kind === "modify") {
            const value = JSON.parse(out[e.at]!) as Record<string, unknown>;
            if (e.kind === "stub") {
              if ("bodyDigest" in value) return; // already a stub: nothing to hide
              out[e.at] = canonicalJson(stubOf(value as unknown as AuditEntry));
            } else {
              if (!(e.key in value)) return;
              value[e.key] =
                typeof value[e.key] === "number" ? (value[e.key] as number) + 1 : `${value[e.key]}x`;
              out[e.at] = canonicalJson(value);
            }
          }
          fc.pre(out.join("\n") !== body.join("\n"));
          rewrite(path, [lines[0]!, ...out, lines.at(-1)!]);
          expect((await verifyAuditFile(path, { keys: key.publicKey })).ok).toBe(false);
        }),
        { numRuns: 150 },
      );
    } finally {
      await db.close();
    }
  });
});
