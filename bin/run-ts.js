#!/usr/bin/env node
// Runs a TypeScript file with tsx's loader: `node bin/run-ts.js scripts/x.ts args...`.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";

register();
const [file, ...args] = process.argv.slice(2);
if (!file) {
  process.stderr.write("usage: node bin/run-ts.js FILE.ts [ARGS...]\n");
  process.exit(2);
}
process.argv = [process.argv[0], resolve(file), ...args];
await import(pathToFileURL(resolve(file)).href);
