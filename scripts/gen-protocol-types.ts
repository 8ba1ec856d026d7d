/**
 * Generates src/protocol/types.gen.ts from the JSON Schemas in protocol/. The schemas are the
 * single source of truth; a test regenerates the file and fails if the checked-in copy differs.
 *
 *   npm run gen:protocol          # rewrite the file
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { generateProtocolTypes } from "../src/protocol/generate.ts";

const target = fileURLToPath(new URL("../src/protocol/types.gen.ts", import.meta.url));
writeFileSync(target, await generateProtocolTypes());
process.stdout.write(`wrote ${target}\n`);
