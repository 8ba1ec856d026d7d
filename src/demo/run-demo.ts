import { mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { verifyAuditLog } from "../audit/export.ts";
import { resolveCheckpoint } from "../checkpoints/index.ts";
import { ArtifactStore } from "../data/service/artifacts.ts";
import { createServiceIdentity, createUser, loadPrincipal } from "../identity/principals.ts";
import { bootstrap } from "../identity/workspaces.ts";
import { buildNanoBases } from "../nano/nano-bases.ts";
import { addNanoReplay } from "../nano/nano-replay.ts";
import type { TrainerEvent } from "../protocol/types/events.gen.ts";
import { parseRecipe } from "../runs/recipe.ts";
import { startRun } from "../runs/runs.ts";
import { homeLayout } from "../runtime/home.ts";
import { createRuntime, type RuntimeOptions } from "../runtime/runtime.ts";
import { openStore } from "../store/open.ts";
import type { Denial } from "./denials.ts";
import { DEMO_SIZES, demoRecipes } from "./recipes.ts";
import { approvalStory } from "./story-approve.ts";
import { dataStory } from "./story-data.ts";
import { metricValues, scoreCheckpoints } from "./story-eval.ts";
import { revocationStory } from "./story-revoke.ts";
import { type DemoRun, trainRecipe } from "./story-runs.ts";
import { type DemoSummary, demoChecks } from "./summary.ts";
import { demoTargets } from "./targets.ts";

export type { DemoSummary } from "./summary.ts";

/**
 * The process's runtime options (`home`: the nano family is cached under it, its keys sign
 * provenance; each demo run gets its own folder, which is its runtime's home) and the story's own.
 */
export interface DemoOptions extends Pick<RuntimeOptions, "home" | "python" | "env"> {
  /** Tiny sizes: every step runs, nothing is expected to be learnt (CI). */
  fast: boolean;
  /** Human-readable progress (stderr). */
  say: (line: string) => void;
  /** Progress events of the training, labelled (`pre`, `custom-1/cpt`, ...). */
  onTrainingEvent?: (label: string, event: TrainerEvent) => void;
}

/**
 * The demo story as far as Crucible builds it today, through the platform as a user drives it
 * (docs/design/DEMO.md steps 1–4, 6 and 7 without gates, 9 without deployments, 10): principals; the nano
 * family built and registered as bases; the acme handbook pre-screened, denied, redacted and
 * approved; nano's replay corpora approved as datasets; `custom` (cpt 30/70 with replay, then sft)
 * and the ablation `custom_no_mix` run as recipes through startRun and the queue; the base and
 * both candidates scored on the same held-out suites (no canary exposure yet); approval denied to the
 * run's starter and given by mara with signed provenance, verified; the handbook revoked and what
 * it influenced tainted; the audit chain verified. Every value in the summary was measured here.
 */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const size = options.fast ? DEMO_SIZES.fast : DEMO_SIZES.full;
  const workdir = join(options.home, "demo", new Date().toISOString().replace(/[:.]/g, "-"));
  mkdirSync(join(workdir, "recipes"), { recursive: true });
  const timings: Record<string, number> = {};
  const seconds = (start: number) => Math.round((performance.now() - start) / 100) / 10;
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      timings[name] = seconds(start);
    }
  };
  const total = performance.now();
  const db = await openStore({ kind: "pglite", home: join(workdir, "store") });
  try {
    const cast = await timed("governance", async () => {
      options.say("governance: workspace acme, admin root, people and service identities with their roles");
      const { workspace, admin } = await bootstrap(db, { workspace: "acme", admin: "root" });
      const root = (await loadPrincipal(db, admin))!;
      const people = {
        eli: "ml-engineer",
        dana: "data-steward",
        mara: "model-approver",
        audra: "auditor",
      } as const;
      const ids: Record<string, string> = {};
      for (const [name, role] of Object.entries(people))
        ids[name] = await createUser(db, { principal: root, workspace, name, roles: [role] });
      for (const [name, roles] of [
        ["ops-bot", ["deployer"]],
        ["support-app", []],
      ] as const)
        await createServiceIdentity(db, {
          principal: root,
          workspace,
          name,
          owner: ids.eli!,
          roles: [...roles],
        });
      const load = async (name: string) => (await loadPrincipal(db, ids[name]!))!;
      return { workspace, eli: await load("eli"), dana: await load("dana"), mara: await load("mara") };
    });
    const { workspace, eli } = cast;

    const bases = await timed("base", async () => {
      options.say(
        `base: eli builds the nano-${size.preset} family (pre -> mid -> post, reused when cached under ${options.home}/bases) and registers it as nano@pre|mid|post`,
      );
      return buildNanoBases(db, eli, {
        workspace,
        python: options.python,
        home: options.home,
        preset: size.preset,
        onEvent: (e) => options.onTrainingEvent?.(e.run_id.replace(/^nano-/, ""), e),
      });
    });
    const familyDir = join(options.home, "bases", `nano-${size.preset}`);

    const denials: Denial[] = [];
    const artifacts = new ArtifactStore(join(workdir, "artifacts"));
    // eli starts `custom` as it would be written against a given handbook version
    const startCustom = (handbook: string) =>
      startRun(db, eli, {
        workspace,
        recipe: parseRecipe(stringify(demoRecipes(size, handbook).custom), "custom.yaml"),
        target: "local",
      });
    const data = await timed("data", async () => {
      const replay = await addNanoReplay(db, {
        workspace,
        engineer: eli,
        steward: cast.dana,
        familyDir,
        artifacts,
      });
      options.say(
        `data: nano's corpora added as replay: ${replay.map((v) => `${v.name}@v${v.version}`).join(", ")} (dana approved nano-pre and nano-mid for cpt, nano-post for sft)`,
      );
      options.say("data: acme-handbook generated, added, pre-screened, gated, redacted and approved");
      return dataStory(db, cast, {
        python: options.python,
        dir: join(workdir, "data"),
        preset: size.preset,
        artifacts,
        denials,
        say: options.say,
        tryTrain: startCustom,
      });
    });
    const handbook = `${data.handbook.name}@v${data.handbook.version}`;

    // the worker's home is the demo's folder: artifacts and run directories live there
    const runtime = createRuntime({
      home: workdir,
      python: options.python,
      env: options.env,
      owner: `${hostname()}:${process.pid}:demo`,
    });
    const recipes = demoRecipes(size, handbook);
    const runs: Record<string, DemoRun> = {};
    for (const [label, recipe] of Object.entries(recipes)) {
      runs[label] = await timed(label, async () => {
        options.say(
          `train: eli starts recipe ${recipe.name} (${recipe.description}); an in-process worker runs it`,
        );
        return trainRecipe(db, eli, {
          workspace,
          recipe,
          dir: join(workdir, "recipes"),
          worker: runtime.worker,
          ...(options.onTrainingEvent ? { onEvent: options.onTrainingEvent } : {}),
        });
      });
    }
    const custom = runs.custom!;

    // candidates by their registered names; the registry knows (and verified) where they lie
    const dirOf = async (name: string) => (await resolveCheckpoint(db, workspace, name)).path;
    const measured = await timed("eval", async () =>
      scoreCheckpoints({
        python: options.python,
        evalDir: join(familyDir, "eval"),
        acmeEval: join(workdir, "data", "acme-eval.jsonl"),
        detailsDir: join(workdir, "eval"),
        checkpoints: {
          base: join(familyDir, "post"),
          custom: await dirOf(custom.checkpoint),
          custom_no_mix: await dirOf(runs.custom_no_mix!.checkpoint),
        },
        say: options.say,
      }),
    );

    const provenance = await timed("approve", () =>
      approvalStory(db, cast, {
        checkpoint: custom.checkpoint,
        keysDir: homeLayout(options.home).keysDir,
        denials,
        say: options.say,
      }),
    );

    const revocation = await timed("revoke", () =>
      revocationStory(db, cast, {
        ref: data.handbook,
        approved: custom.checkpoint,
        runNames: new Map(Object.values(runs).map((r) => [r.id, r.run])),
        retry: () => startCustom(handbook),
        denials,
        say: options.say,
      }),
    );

    const audit = await verifyAuditLog(db);
    options.say(
      audit.ok
        ? `audit: chain verified, ${audit.count} entries`
        : `audit: BROKEN at seq ${audit.seq}: ${audit.reason}`,
    );
    timings.total = seconds(total);
    const metrics = metricValues(measured);
    const targets = demoTargets(metrics, new Set(denials.map((d) => d.step)).size, timings);
    for (const t of targets)
      options.say(`target ${t.met ? "met   " : "missed"} ${t.target}: ${t.value} (bound ${t.bound})`);
    const facts = {
      workdir,
      base: Object.fromEntries(bases.map((b) => [b.name, b.manifestDigest])),
      data: data.summary,
      denials,
      runs,
      metrics,
      metric_details: measured,
      provenance,
      revocation,
      audit: { verified: audit.ok, entries: audit.ok ? audit.count : 0 },
      timings_s: timings,
      targets,
      steps_not_yet_built: [
        "rft",
        "drift gates and canary exposure (the suites are measured, nothing decides on them yet)",
        "deployment and gateway",
        "report.html",
      ],
    };
    const checks = demoChecks(facts, handbook, !options.fast);
    const summary: DemoSummary = { ok: Object.values(checks).every(Boolean), checks, ...facts };
    writeFileSync(join(workdir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  } finally {
    await db.close();
  }
}
