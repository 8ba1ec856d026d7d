import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CrucibleError } from "../../src/core/errors.ts";
import { generateProtocolTypes } from "../../src/protocol/generate.ts";
import { loadSchemaFiles, PROTOCOL_DIR } from "../../src/protocol/schemas.ts";
import { assertDocument, checkDocument } from "../../src/protocol/validate.ts";

const FIXTURES = join(PROTOCOL_DIR, "fixtures");

function fixtures(name: string, kind: "valid" | "invalid"): [string, unknown][] {
  const dir = join(FIXTURES, name, kind);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => [f, JSON.parse(readFileSync(join(dir, f), "utf8"))]);
}

describe("protocol schemas", () => {
  for (const { name } of loadSchemaFiles()) {
    describe(name, () => {
      it("has at least one valid and one invalid shared fixture", () => {
        expect(fixtures(name, "valid").length).toBeGreaterThan(0);
        expect(fixtures(name, "invalid").length).toBeGreaterThan(0);
      });

      it("accepts every valid fixture", () => {
        for (const [file, doc] of fixtures(name, "valid")) {
          expect(checkDocument(name, doc), `${name}/valid/${file}`).toEqual([]);
        }
      });

      it("rejects every invalid fixture with a JSON path", () => {
        for (const [file, doc] of fixtures(name, "invalid")) {
          const issues = checkDocument(name, doc);
          expect(issues.length, `${name}/invalid/${file} was accepted`).toBeGreaterThan(0);
          expect(issues[0]?.path).toMatch(/^\$/);
        }
      });
    });
  }

  it("has a fixture folder for no schema that does not exist", () => {
    const names = new Set(loadSchemaFiles().map((f) => f.name));
    for (const dir of readdirSync(FIXTURES))
      expect(names.has(dir), `fixtures/${dir} has no schema`).toBe(true);
  });

  it("keeps src/protocol/types/*.gen.ts in step with the schemas", async () => {
    const dir = new URL("../../src/protocol/types/", import.meta.url);
    const generated = await generateProtocolTypes();
    const checkedIn = readdirSync(dir).filter((f) => f.endsWith(".gen.ts"));
    expect(checkedIn.sort(), "run `npm run gen:protocol` and commit the result").toEqual(
      [...generated.keys()].sort(),
    );
    for (const [file, text] of generated) {
      expect(readFileSync(new URL(file, dir), "utf8"), `${file}: run \`npm run gen:protocol\``).toBe(text);
    }
  });

  it("names the JSON path, the problem and the fix when a document is wrong", () => {
    const doc = {
      protocol_version: 1,
      results: [
        { id: "a", aggregate_reward_score: 1, metrics_list: [{ name: "m", value: 1, type: "Score" }] },
      ],
    };
    let error: unknown;
    try {
      assertDocument("reward-response", doc);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CrucibleError);
    expect((error as CrucibleError).details.field).toBe("$.results[0].metrics_list[0].type");
    expect((error as CrucibleError).describe()).toContain('must be one of "Reward", "Metric"');
  });
});
