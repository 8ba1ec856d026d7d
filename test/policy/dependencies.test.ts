import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

/** The rooms of src/ each governance room may import from (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  provenance: ["core"],
  audit: ["core", "store", "provenance"],
  policy: ["core"],
  governed: ["core", "store", "audit", "policy", "provenance"],
  identity: ["core", "store", "audit", "policy", "governed"],
};

function importsOf(room: string): { file: string; target: string }[] {
  const out: { file: string; target: string }[] = [];
  for (const file of readdirSync(`${SRC}${room}`).filter((f) => f.endsWith(".ts"))) {
    const text = readFileSync(`${SRC}${room}/${file}`, "utf8");
    for (const match of text.matchAll(/from "\.\.\/([a-z]+)\//g))
      out.push({ file: `${room}/${file}`, target: match[1]! });
  }
  return out;
}

describe("dependency rule for the governance rooms", () => {
  for (const [room, allowed] of Object.entries(ALLOWED)) {
    it(`src/${room} imports only from ${allowed.join(", ")}`, () => {
      const found = importsOf(room);
      expect(found.length).toBeGreaterThan(0);
      expect(found.filter((i) => !allowed.includes(i.target))).toEqual([]);
    });
  }
});
