import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The protocol/ directory: JSON Schemas shared by the TypeScript side and the Python trainer. */
export const PROTOCOL_DIR = fileURLToPath(new URL("../../protocol/", import.meta.url));

export interface SchemaFile {
  /** File stem, e.g. `job-spec` for `job-spec.schema.json`; also the fixture folder name. */
  name: string;
  schema: Record<string, unknown> & { $id: string; title: string };
}

/** Every `*.schema.json` in protocol/, sorted by name. */
export function loadSchemaFiles(dir: string = PROTOCOL_DIR): SchemaFile[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith(".schema.json"))
    .sort()
    .map((file) => {
      const schema = JSON.parse(readFileSync(`${dir}${file}`, "utf8")) as SchemaFile["schema"];
      const name = file.slice(0, -".schema.json".length);
      if (schema.$id !== `crucible:protocol/${name}`) {
        throw new Error(
          `${file}: $id must be "crucible:protocol/${name}", found ${JSON.stringify(schema.$id)}`,
        );
      }
      if (typeof schema.title !== "string") throw new Error(`${file}: a title names the generated type`);
      return { name, schema };
    });
}
