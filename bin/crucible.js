#!/usr/bin/env node
import { fileURLToPath } from "node:url";
// The `crucible` command. Runs the JavaScript in dist/ that setup compiled (scripts/build.js),
// when it was built from the sources as they are now; otherwise the TypeScript sources through
// tsx's loader (about 2 s slower), saying why on stderr, so a stale build never runs.
import { setFlagsFromString } from "node:v8";
import { staleness } from "../scripts/build-stamp.js";

// A command that ends within seconds compiles WebAssembly (PGlite, Cedar) with V8's baseline
// compiler only: optimising PGlite's hot functions cost a `run list` ~0.3 s and ~80 MB at its
// peak, and paid back nothing before it exited. Commands that run for minutes (the servers,
// training followed in this process, the demo, generation) keep V8's optimising tier, where
// Cedar decides about 2x faster.
const args = process.argv.slice(2);
const [command, sub] = args.filter((a) => !a.startsWith("-"));
const longRunning =
  ["serve", "worker", "demo", "chat", "generate"].includes(command) ||
  (command === "run" && (sub === "start" || sub === "logs")) ||
  (command === "base" && sub === "build");
if (!longRunning) setFlagsFromString("--liftoff-only");

const why = staleness(fileURLToPath(new URL("../", import.meta.url)));
let main;
if (why === null) {
  ({ main } = await import("../dist/cli/main.js"));
} else {
  process.stderr.write(
    `crucible: ${why}; running the TypeScript sources instead (slower): \`bash scripts/setup-node.sh\` rebuilds it\n`,
  );
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import("../src/cli/main.ts"));
}
process.exitCode = await main(args);
