#!/usr/bin/env node
// Compiles src/ to JavaScript in dist/ (git-ignored), so that `crucible` starts without
// transpiling: tsc with tsconfig.build.json (imports' .ts become .js), then the files the code
// reads beside itself at run time (migrations, Cedar schema and policy), then the stamp that
// bin/crucible.js checks. Does nothing when dist/ is current; --force rebuilds anyway.
//   node scripts/build.js [--force]
import { spawnSync } from "node:child_process";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { STAMP, sourceDigests, staleness } from "./build-stamp.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const force = process.argv.includes("--force");
const why = staleness(root);
if (why === null && !force) process.exit(0);

// digests first: a source edited while tsc runs leaves a stamp that no longer matches it
const sources = sourceDigests(root);
process.stderr.write(`build: compiling src/ to dist/ (${force ? "--force" : why})\n`);
rmSync(`${root}dist`, { recursive: true, force: true });
const manifest = createRequire(import.meta.url).resolve("typescript/package.json");
const tsc = join(dirname(manifest), JSON.parse(readFileSync(manifest, "utf8")).bin.tsc);
const compiled = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], {
  cwd: root,
  stdio: "inherit",
});
if (compiled.status !== 0) {
  process.stderr.write(
    "build: tsc failed; bin/crucible.js runs the TypeScript sources until a build succeeds\n",
  );
  process.exit(1);
}
cpSync(`${root}src`, `${root}dist`, {
  recursive: true,
  filter: (path) => !/\.(ts|md)$/.test(path),
});
writeFileSync(`${root}${STAMP}`, `${JSON.stringify({ sources }, null, 1)}\n`);
