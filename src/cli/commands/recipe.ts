import type { Command } from "commander";
import type { RunAction } from "../command.ts";
import { loadRecipe } from "../recipe-file.ts";

/** `crucible recipe validate`: a recipe checked offline, as `run start` checks it first. */
export function registerRecipe(recipe: Command, run: RunAction): void {
  recipe
    .command("validate")
    .description(
      "check a recipe file offline (no store, no identity) as `run start` does: every problem at once with its YAML path, line:column and fix; exit 2 when any",
    )
    .argument("<file>", "recipe file (YAML), e.g. recipes/pipeline-acme.yaml")
    .action(
      run(async (ctx, file: string) => {
        // datasets, bases and policy are checked by `run start` against the store; this is the file
        const plan = loadRecipe(file);
        const stages = plan.stages.map((s) => ({
          stage: s.stage,
          purpose: s.purpose,
          base: s.base ?? null,
          datasets: s.sources.map((d) => ({ dataset: `${d.name}@v${d.version}`, share: d.share })),
        }));
        ctx.out.result(
          {
            file,
            valid: true,
            name: plan.name,
            digest: plan.digest,
            max_duration_s: plan.maxDurationS,
            stages,
          },
          () =>
            `${file}: recipe ${plan.name} is valid, ${stageCount(stages.length)}: ${stages.map((s) => s.stage).join(" -> ")}`,
        );
      }),
    );
}

function stageCount(n: number): string {
  return n === 1 ? "1 stage" : `${n} stages`;
}
