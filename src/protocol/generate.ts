import { compile } from "json-schema-to-typescript";
import { loadSchemaFiles } from "./schemas.ts";

const header = (
  name: string,
) => `/* Generated from protocol/${name}.schema.json by \`npm run gen:protocol\`. Do not edit by
 * hand: change the schema and regenerate; test/protocol checks this file is current. */
`;

/**
 * TypeScript declarations for every protocol schema, one module per schema (so definitions of
 * the same name in two schemas never collide): file name -> contents.
 */
export async function generateProtocolTypes(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const { name, schema } of loadSchemaFiles()) {
    const ts = await compile(schema as Parameters<typeof compile>[0], schema.title, {
      bannerComment: "",
      strictIndexSignatures: true,
      ignoreMinAndMaxItems: true,
      format: true,
      declareExternallyReferenced: true,
    });
    files.set(`${name}.gen.ts`, `${header(name)}\n${ts.trim()}\n`);
  }
  return files;
}
