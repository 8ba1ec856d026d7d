import { readFileSync } from "node:fs";
import { invalid } from "../core/errors.ts";
import { parseRecipe, type RecipePlan } from "../runs/recipe.ts";

/**
 * Reads and checks the recipe file a command names: `run start` and `recipe validate` refuse a
 * bad one alike (every problem at once, with its YAML path, line:column and fix; exit 2).
 * @example const plan = loadRecipe("recipes/pipeline-acme.yaml");
 */
export function loadRecipe(file: string): RecipePlan {
  return parseRecipe(readRecipe(file), file);
}

function readRecipe(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw invalid(
      "recipe",
      `cannot read ${file}: ${(err as Error).message}`,
      file,
      "Give the path of a recipe file, e.g. recipes/pipeline-acme.yaml",
    );
  }
}
