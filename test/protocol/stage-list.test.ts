import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { PROTOCOL_DIR } from "../../src/protocol/schemas.ts";
import { stages } from "../../src/protocol/stages.ts";

const ROOT = join(PROTOCOL_DIR, "..");
const SCANNED = ["src", "trainer/src", "protocol"];

/** Where the stage list may be spelled, and why. */
const ALLOWED: { path: RegExp; why: string }[] = [
  { path: /^protocol\/stage\.schema\.json$/, why: "the one source" },
  { path: /^src\/protocol\/types\/[^/]+\.gen\.ts$/, why: "generated from it by npm run gen:protocol" },
  { path: /^src\/store\/migrations\//, why: "applied migrations are history and are never edited" },
];

/**
 * Two different stage names next to each other in a list, a union or a sentence: `"cpt", "sft"`,
 * `'sft' | 'dpo'`, `cpt and sft`, `sft or dpo`. Paths (`acme-cpt/cpt/step-6`) do not count.
 */
function stageLists(text: string, names: readonly string[]): string[] {
  const name = `(${names.join("|")})`;
  const q = "[\"'`]?";
  const pair = new RegExp(`\\b${name}${q}\\s*(?:,|\\||\\band\\b|\\bor\\b)\\s*${q}${name}\\b`, "g");
  return [...text.matchAll(pair)].filter((m) => m[1] !== m[2]).map((m) => m[0]);
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (entry === "__pycache__" || entry.endsWith(".egg-info")) return [];
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

describe("the list of training stages", () => {
  it("is spelled only in protocol/stage.schema.json: code reads stages() / protocol.stages()", () => {
    const found: string[] = [];
    for (const top of SCANNED)
      for (const file of files(join(ROOT, top))) {
        const path = relative(ROOT, file);
        if (ALLOWED.some((a) => a.path.test(path))) continue;
        readFileSync(file, "utf8")
          .split("\n")
          .forEach((line, i) => {
            // dataset purposes (src/data/service/refs.ts PURPOSES) are their own vocabulary
            if (/purpose/i.test(line)) return;
            for (const list of stageLists(line, stages())) found.push(`${path}:${i + 1}: ${list}`);
          });
      }
    expect(
      found,
      "a list of stage names outside protocol/stage.schema.json drifts from it: derive it from stages() (TS) or protocol.stages() (Python), or reword",
    ).toEqual([]);
  });

  it("finds lists in the shapes they are written in, and not in paths", () => {
    const names = ["cpt", "sft", "dpo"];
    expect(stageLists(`stage: "cpt" | "sft" | "rft";`, names)).toEqual([`cpt" | "sft`]);
    expect(stageLists(`IMPLEMENTED = ("sft", 'dpo')`, names)).toEqual([`sft", 'dpo`]);
    expect(stageLists("is for cpt and sft; fix: use sft or dpo", names)).toEqual([
      "cpt and sft",
      "sft or dpo",
    ]);
    expect(stageLists(`"acme-cpt/sft/step-8", runCheckpointName("acme-cpt", "cpt", 6)`, names)).toEqual([]);
  });
});
