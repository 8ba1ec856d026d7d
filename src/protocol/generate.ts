import { compile } from "json-schema-to-typescript";
import { loadSchemaFiles } from "./schemas.ts";

const HEADER = `/* Generated from protocol/*.schema.json by \`npm run gen:protocol\`. Do not edit by hand:
 * change the schema and regenerate; test/protocol checks this file is current. */
`;

/** TypeScript declarations for every protocol schema, as one file. */
export async function generateProtocolTypes(): Promise<string> {
  const parts: string[] = [HEADER];
  for (const { schema } of loadSchemaFiles()) {
    const ts = await compile(schema as Parameters<typeof compile>[0], schema.title, {
      bannerComment: "",
      strictIndexSignatures: true,
      ignoreMinAndMaxItems: true,
      format: true,
      declareExternallyReferenced: true,
    });
    parts.push(ts.trim());
  }
  return `${parts.join("\n\n")}\n`;
}
