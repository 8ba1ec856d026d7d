import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CrucibleError } from "../../src/core/errors.ts";
import { PROTOCOL_DIR } from "../../src/protocol/schemas.ts";
import { stages } from "../../src/protocol/stages.ts";
import { checkRecipe, parseRecipe, type RecipeIssue } from "../../src/runs/recipe.ts";
import { recipeStages } from "../../src/runs/recipe-rules.ts";

const RECIPES = join(PROTOCOL_DIR, "..", "recipes");
const FIXTURES = join(PROTOCOL_DIR, "fixtures", "recipe");

function issuesOf(fn: () => unknown): RecipeIssue[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CrucibleError);
    expect((err as CrucibleError).code).toBe("invalid_argument");
    return [...((err as CrucibleError).details.issues ?? [])];
  }
  throw new Error("the recipe was accepted");
}

const STAGE = `    hyperparameters: { lr: 0.001, budget: { steps: 4 }, batch_size: 2, seq_len: 32, adapter: { kind: full } }
    checkpoint: { every_steps: 2 }`;

describe("recipes", () => {
  it("parses every example in recipes/, each with a header saying how to run it", () => {
    const files = readdirSync(RECIPES).filter((f) => f.endsWith(".yaml"));
    expect(files).toEqual(
      expect.arrayContaining(["cpt-acme-30-70.yaml", "sft-acme.yaml", "pipeline-acme.yaml"]),
    );
    for (const file of files) {
      const text = readFileSync(join(RECIPES, file), "utf8");
      expect(text, file).toMatch(/^#[^\n]*\n(#[^\n]*\n)*/);
      expect(
        text
          .split("\n")
          .filter((l) => l.startsWith("#"))
          .join("\n"),
        file,
      ).toContain("crucible run start");
      const plan = parseRecipe(text, file);
      expect(plan.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(plan.name).toBe(file.replace(/\.yaml$/, ""));
    }
  });

  it("plans the pipeline: cpt from nano@mid at 30/70, then sft from the cpt stage's checkpoint", () => {
    const plan = parseRecipe(readFileSync(join(RECIPES, "pipeline-acme.yaml"), "utf8"));
    expect(plan.maxDurationS).toBe(4 * 3600);
    expect(plan.stages.map((s) => [s.stage, s.purpose, s.base])).toEqual([
      ["cpt", "cpt", "nano@mid"],
      ["sft", "sft", undefined],
    ]);
    expect(plan.stages[0]!.sources).toEqual([
      { name: "acme-handbook", version: 2, share: 0.3 },
      { name: "nano-pre", version: 1, share: 0.7 },
    ]);
  });

  it("accepts the valid shared fixtures and rejects the invalid ones with their paths", () => {
    for (const file of readdirSync(join(FIXTURES, "valid")))
      checkRecipe(JSON.parse(readFileSync(join(FIXTURES, "valid", file), "utf8")), file);
    for (const file of readdirSync(join(FIXTURES, "invalid"))) {
      const doc = JSON.parse(readFileSync(join(FIXTURES, "invalid", file), "utf8"));
      const issues = issuesOf(() => checkRecipe(doc, file));
      expect(issues.length, file).toBeGreaterThan(0);
      for (const issue of issues) expect(issue.path, file).toMatch(/^\$/);
    }
  });

  it("reports every problem at once, each with its YAML path, line:column and fix", () => {
    const text = `name: Bad
stages:
  - stage: sft
    data:
      - dataset: acme-qa
        share: 0.5
      - dataset: nano-post@v1
        share: 0.6
        weight: 1
${STAGE}
  - stage: sft
    data: [{ dataset: acme-qa@v1, share: 1 }]
${STAGE.replace("steps: 4", "steps: 0")}
max_duration: 5d
`;
    const issues = issuesOf(() => parseRecipe(text, "bad.yaml"));
    const brief = issues.map((i) => `${i.line}:${i.column} ${i.path}`);
    expect(brief).toEqual([
      "1:7 $.name",
      "3:5 $.stages[0].base",
      "5:7 $.stages[0].data",
      "5:18 $.stages[0].data[0].dataset",
      "9:9 $.stages[0].data[1].weight",
      "12:12 $.stages[1].stage",
      "14:52 $.stages[1].hyperparameters.budget.steps",
      "16:15 $.max_duration",
    ]);
    for (const issue of issues) expect(issue.fix.length, issue.path).toBeGreaterThan(10);
    expect(issues.find((i) => i.path.endsWith("data"))!.message).toContain("add up to 1.1");
    expect(issues.find((i) => i.path.endsWith("weight"))!.fix).toContain("dataset, share");
  });

  it("keeps only the closest oneOf branch: a LoRA adapter without alpha says alpha is missing", () => {
    const text = `name: lora
stage: sft
base: nano@post
data: [{ dataset: acme-qa@v1, share: 1 }]
hyperparameters: { lr: 0.001, budget: { steps: 4 }, batch_size: 2, seq_len: 32, adapter: { kind: lora, r: 4 } }
checkpoint: { every_steps: 2 }
`;
    const issues = issuesOf(() => parseRecipe(text));
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      ["$.hyperparameters.adapter.alpha", "the required field alpha is missing"],
    ]);
  });

  it("refuses a stage the trainer does not implement, naming the field, the value and the stages a recipe can run", () => {
    const text = `name: reinforce
stage: rft
base: nano@post
data: [{ dataset: acme-qa@v1, share: 1 }]
${STAGE.replaceAll("    ", "")}
`;
    const issues = issuesOf(() => parseRecipe(text));
    expect(issues.map((i) => [`${i.line}:${i.column} ${i.path}`, i.message, i.fix])).toEqual([
      [
        "2:8 $.stage",
        `is "rft", not one of ${stages().join(", ")}`,
        `Use a stage a recipe can run: ${recipeStages().join(", ")}`,
      ],
    ]);
  });

  it("refuses dpo: it trains on preference pairs, and datasets hold only text or chat records", () => {
    const text = `name: prefer
stages:
  - stage: sft
    base: nano@post
    data: [{ dataset: acme-qa@v1, share: 1 }]
${STAGE}
  - stage: dpo
    data: [{ dataset: acme-qa@v2, share: 1 }]
${STAGE}
`;
    const issues = issuesOf(() => parseRecipe(text));
    expect(issues.map((i) => [`${i.line}:${i.column} ${i.path}`, i.message])).toEqual([
      [
        "8:12 $.stages[1].stage",
        "a recipe cannot run stage dpo: stage dpo trains on preference records; datasets hold text or chat records",
      ],
    ]);
    expect(issues[0]!.fix).toMatch(/^Use one of [a-z, ]+; train dpo by giving the trainer a JobSpec/);
    expect(recipeStages()).toEqual(expect.arrayContaining(["cpt", "sft"]));
    expect(recipeStages()).not.toContain("dpo");
  });

  it("names the YAML syntax error's line", () => {
    const issues = issuesOf(() => parseRecipe("name: x\ndata: [1\nstage: cpt\n"));
    expect(issues[0]).toMatchObject({ line: 3, path: "$" });
    expect(issues[0]!.message).toMatch(/^YAML: /);
  });

  it("accepts shares exactly when they add up to 1 within 1e-6 (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        (weights, skew) => {
          const total = weights.reduce((a, b) => a + b, 0);
          const shares = weights.map((w) => w / total);
          if (skew)
            shares[0] = Math.min(1, shares[0]! + 0.01) === shares[0] ? shares[0]! - 0.01 : shares[0]! + 0.01;
          const recipe = {
            name: "mix",
            stage: "cpt",
            base: "nano@mid",
            data: shares.map((share, i) => ({ dataset: `d${i}@v1`, share })),
            hyperparameters: {
              lr: 0.001,
              budget: { steps: 1 },
              batch_size: 1,
              seq_len: 8,
              adapter: { kind: "full" },
            },
            checkpoint: { every_steps: 1 },
          };
          const valid = shares.every((s) => s > 0 && s <= 1);
          if (!valid) return;
          if (skew) expect(issuesOf(() => checkRecipe(recipe)).map((i) => i.path)).toContain("$.data");
          else expect(checkRecipe(recipe).stages[0]!.sources).toHaveLength(shares.length);
        },
      ),
    );
  });
});
