#!/usr/bin/env node
// The `crucible` command. Runs the JavaScript in dist/ that setup compiled (scripts/build.js),
// when it was built from the sources as they are now; otherwise the TypeScript sources through
// tsx's loader (about 2 s slower), saying why on stderr, so a stale build never runs.
import { fileURLToPath } from "node:url";
import { staleness } from "../scripts/build-stamp.js";

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
process.exitCode = await main(process.argv.slice(2));
