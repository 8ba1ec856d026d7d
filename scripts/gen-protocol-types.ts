/**
 * Generates src/protocol/types/<name>.gen.ts from the JSON Schemas in protocol/. The schemas are
 * the single source of truth; a test regenerates the files and fails if a checked-in copy differs.
 *
 *   npm run gen:protocol
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { generateProtocolTypes } from "../src/protocol/generate.ts";

const dir = fileURLToPath(new URL("../src/protocol/types/", import.meta.url));
mkdirSync(dir, { recursive: true });
const files = await generateProtocolTypes();
for (const stale of readdirSync(dir).filter((f) => f.endsWith(".gen.ts") && !files.has(f)))
  rmSync(`${dir}${stale}`);
for (const [file, text] of files) writeFileSync(`${dir}${file}`, text);
process.stdout.write(`wrote ${files.size} files to ${dir}\n`);
