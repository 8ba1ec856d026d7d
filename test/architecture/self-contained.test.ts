import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Every tracked file's path and text (files that are not UTF-8 text are left out). */
function trackedTexts(): { path: string; text: string }[] {
  const paths = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" })
    .split("\0")
    .filter((p) => p !== "" && existsSync(join(ROOT, p)));
  const out: { path: string; text: string }[] = [];
  for (const path of paths) {
    const text = readFileSync(join(ROOT, path), "utf8");
    if (!text.includes("\0")) out.push({ path, text });
  }
  return out;
}

/**
 * Where a text points outside the repository: at the team's shared folder beside the checkout, or
 * at an absolute path under the machine's work directory. Neither exists for a reader of the repository.
 */
const OUTSIDE = [/\.\.\/shared\b/g, /(?<![\w./~-])\/work\//g];

describe("the repository explains itself (design pages live in docs/design/)", () => {
  const files = trackedTexts();

  it("no tracked file points outside the repository (the shared folder beside it, an absolute work path)", () => {
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap(({ path, text }) =>
      OUTSIDE.flatMap((pattern) =>
        [...text.matchAll(pattern)].map((m) => {
          const line = text.slice(0, m.index).split("\n").length;
          return `${path}:${line} points at ${m[0]}: copy what it cites into docs/ and cite that`;
        }),
      ),
    );
    expect(found).toEqual([]);
  });

  it("every docs/design/ page a tracked file cites exists", () => {
    const cited = new Set(
      files.flatMap(({ text }) => [...text.matchAll(/docs\/design\/([\w-]+\.md)/g)].map((m) => m[1]!)),
    );
    expect(cited.size).toBeGreaterThan(0);
    const missing = [...cited].filter((page) => !existsSync(join(ROOT, "docs/design", page)));
    expect(missing, "cited under docs/design/ but not there").toEqual([]);
  });
});
