import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { readAudit } from "../../../src/audit/store.ts";
import type { DetectorId } from "../../../src/data/scan/detectors.ts";
import { ArtifactStore } from "../../../src/data/service/artifacts.ts";
import { createUser } from "../../../src/identity/principals.ts";
import { bootstrap } from "../../../src/identity/workspaces.ts";
import type { Principal } from "../../../src/policy/entities.ts";
import type { Db } from "../../../src/store/db.ts";
import { as } from "../../identity/support.ts";
import { tempDir, writeFile } from "../helpers.ts";

/** Workspace `acme` with root (admin), eli (ml-engineer), dana (data-steward), audra (auditor). */
export async function acme(db: Db) {
  const { workspace, admin } = await bootstrap(db, { workspace: "acme", admin: "root" });
  const root = await as(db, admin);
  const user = async (name: string, role: "ml-engineer" | "data-steward" | "auditor") =>
    as(db, await createUser(db, { principal: root, workspace, name, roles: [role] }));
  return {
    workspace,
    root,
    eli: await user("eli", "ml-engineer"),
    dana: await user("dana", "data-steward"),
    audra: await user("audra", "auditor"),
  };
}

/** The planted values of the handbook, by detector; none of them may appear in a report. */
export const PLANTED: ReadonlyArray<{ detector: DetectorId; raw: string; text: string }> = [
  {
    detector: "email",
    raw: "maria.lopez@northwind-mail.com",
    text: "Customer Maria Lopez (maria.lopez@northwind-mail.com) asked about returns.",
  },
  { detector: "phone", raw: "+1 415 867 5309", text: "Call back Maria on +1 415 867 5309 after 3pm." },
  {
    detector: "payment_card",
    raw: "5555-5555-5555-4444",
    text: "Her card on file is 5555-5555-5555-4444, please verify.",
  },
  { detector: "us_ssn", raw: "536-22-8512", text: "Tax form shows SSN 536-22-8512 for the contractor." },
  {
    detector: "github_token",
    raw: "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    text: "Deploy with ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8 from the wiki.",
  },
  {
    detector: "stripe_key",
    raw: "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    text: "Billing uses key sk_live_4eC39HqLyjWDarjtT1zdp7dc in production.",
  },
  {
    detector: "aws_access_key_id",
    raw: "ASIAY34FZKBOKMUTVV7A",
    text: "The backup job runs as ASIAY34FZKBOKMUTVV7A nightly.",
  },
];

/** Clean facts about Acme, `n` of them. */
export function facts(n: number): string[] {
  return Array.from(
    { length: n },
    (_, i) => `Acme fact ${i}: the ${["north", "south", "east"][i % 3]} office opens at ${8 + (i % 3)}am.`,
  );
}

/**
 * Writes the acme handbook as JSONL: clean facts and support transcripts (chat records) with the
 * planted PII and secrets spread between them. Returns its path and the flagged record indices.
 */
export function handbookFile(
  dir: string,
  name = "acme-handbook.jsonl",
  canary?: string,
): { path: string; flagged: number[] } {
  const lines: string[] = [];
  const flagged: number[] = [];
  const clean = facts(12);
  PLANTED.forEach((p, i) => {
    lines.push(JSON.stringify({ text: clean[i] }));
    flagged.push(lines.length);
    lines.push(
      i % 2 === 0
        ? JSON.stringify({ text: p.text })
        : JSON.stringify({
            messages: [
              { role: "user", content: p.text },
              { role: "assistant", content: "Noted, thanks." },
            ],
          }),
    );
  });
  for (const f of clean.slice(PLANTED.length)) lines.push(JSON.stringify({ text: f, source: "handbook" }));
  if (canary) {
    flagged.push(lines.length);
    lines.push(JSON.stringify({ text: `Internal note ${canary} do not share.` }));
  }
  return { path: writeFile(dir, name, `${lines.join("\n")}\n`), flagged };
}

/** A fresh artifact store in a temporary directory. */
export function artifactStore(): ArtifactStore {
  return new ArtifactStore(join(tempDir(), "artifacts"));
}

/** Every file under the store's datasets directory (temporary files included). */
export function artifactFiles(store: ArtifactStore): string[] {
  const dir = join(store.root, "datasets");
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** The audit entries for one action, as [actor, decision, rules]. */
export async function auditOf(db: Db, action: string): Promise<Array<[string, string, string]>> {
  const out: Array<[string, string, string]> = [];
  for await (const e of readAudit(db))
    if (e.action === action) out.push([e.actor, e.decision, e.rules.join(",")]);
  return out;
}

export const idOf = (p: Principal) => (p.kind === "user" || p.kind === "service" ? p.id : "");
