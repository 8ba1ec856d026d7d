// Whether dist/ was compiled from the sources as they are now. The build (scripts/build.js)
// writes dist/.build-stamp.json: the SHA-256 of every file it was built from; bin/crucible.js
// compares it with the sources before running dist/. Content, not modification times: a checkout,
// a copy or an editor that keeps mtimes cannot make a stale build pass (hashing src/ takes ~10 ms).
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/** The stamp's path, relative to the repository root. */
export const STAMP = "dist/.build-stamp.json";

/** What the build reads besides src/: its compiler options. */
const CONFIGS = ["tsconfig.json", "tsconfig.build.json"];

/**
 * The SHA-256 of every file dist/ is built from, by path relative to `root`: src/ (its READMEs
 * aside, which the build ignores) and the compiler options.
 */
export function sourceDigests(root) {
  const files = readdirSync(join(root, "src"), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.endsWith(".md"))
    .map((entry) => relative(root, join(entry.parentPath ?? entry.path, entry.name)))
    .concat(CONFIGS)
    .sort();
  return Object.fromEntries(
    files.map((file) => [
      file,
      createHash("sha256")
        .update(readFileSync(join(root, file)))
        .digest("hex"),
    ]),
  );
}

/**
 * Why dist/ under `root` may not run: it is not built, or names the first source that changed,
 * appeared or went since it was. Null when it was built from the sources as they are.
 */
export function staleness(root) {
  let built;
  try {
    built = JSON.parse(readFileSync(join(root, STAMP), "utf8")).sources;
  } catch {
    return "dist/ is not built";
  }
  const now = sourceDigests(root);
  for (const file of Object.keys(now)) {
    if (!(file in built)) return `${file} is new since dist/ was built`;
    if (built[file] !== now[file]) return `${file} changed since dist/ was built`;
  }
  for (const file of Object.keys(built))
    if (!(file in now)) return `${file} was removed since dist/ was built`;
  return null;
}
