import { compile } from "json-schema-to-typescript";
import { loadSchemaFiles, type SchemaFile } from "./schemas.ts";

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
  const all = loadSchemaFiles();
  for (const { name, schema } of all) {
    const ts = await compile(structuredClone(schema) as Parameters<typeof compile>[0], schema.title, {
      bannerComment: "",
      strictIndexSignatures: true,
      ignoreMinAndMaxItems: true,
      format: true,
      declareExternallyReferenced: true,
      // `$ref: "crucible:protocol/stage"` names another protocol schema: resolved from the same files
      $refOptions: { resolve: { crucible: protocolResolver(all) } } as never,
    });
    files.set(`${name}.gen.ts`, `${header(name)}\n${ts.trim()}\n`);
  }
  return files;
}

function protocolResolver(all: readonly SchemaFile[]) {
  return {
    order: 1,
    canRead: /^crucible:protocol\//,
    read: ({ url }: { url: string }) => {
      const found = all.find((f) => f.schema.$id === url);
      if (!found) throw new Error(`$ref ${url}: no protocol/*.schema.json has this $id`);
      return structuredClone(found.schema); // the compiler marks what it reads
    },
  };
}
