import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { verifyAuditLog } from "../audit/export.ts";
import { CrucibleError } from "../core/errors.ts";
import { ArtifactStore } from "../data/service/artifacts.ts";
import { createServiceIdentity, createUser, loadPrincipal } from "../identity/principals.ts";
import { bootstrap } from "../identity/workspaces.ts";
import { runLocal, runTrainerCommand } from "../jobs/local-runner.ts";
import type { TrainerEvent } from "../protocol/types/events.gen.ts";
import type { JobSpec } from "../protocol/types/job-spec.gen.ts";
import { openStore } from "../store/open.ts";
import { checkpointDigest, fileDigest } from "./files.ts";
import { type Denial, dataStory, type StoryData } from "./story-data.ts";

export interface DemoOptions {
  /** Crucible home: the nano family is cached under it; each demo run gets its own folder. */
  home: string;
  /** Tiny sizes: every step runs, nothing is expected to be learnt (CI). */
  fast: boolean;
  python: string;
  /** Human-readable progress (stderr). */
  say: (line: string) => void;
  /** Progress events of the training runs, labelled by step. */
  onTrainingEvent?: (label: string, event: TrainerEvent) => void;
}

/** What a demo run measured; every value comes from this run. */
export interface DemoSummary {
  ok: boolean;
  workdir: string;
  base: Record<string, string>;
  data: StoryData["summary"];
  denials: Denial[];
  runs: Record<
    string,
    { tokens_by_source: Record<string, number>; final_loss: number | null; checkpoint: string }
  >;
  audit: { verified: boolean; entries: number };
  timings_s: Record<string, number>;
  steps_not_yet_built: string[];
}

const SIZES = {
  fast: { preset: "tiny", seqLen: 64, batch: 8, cptSteps: 16, sftSteps: 12 },
  full: { preset: "demo", seqLen: 128, batch: 16, cptSteps: 700, sftSteps: 150 },
} as const;

/**
 * The demo story as far as Crucible builds it today (DEMO.md steps 1–4 and 10): governance
 * principals, the nano base family, the acme-handbook pre-screened and redacted, continued
 * pre-training from nano@mid on a 30/70 mix with replay, SFT on top, and the audit chain verified.
 */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const size = options.fast ? SIZES.fast : SIZES.full;
  const workdir = join(options.home, "demo", new Date().toISOString().replace(/[:.]/g, "-"));
  mkdirSync(workdir, { recursive: true });
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      timings[name] = Math.round((performance.now() - start) / 100) / 10;
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
      await createServiceIdentity(db, {
        principal: root,
        workspace,
        name: "ops-bot",
        owner: ids.eli!,
        roles: ["deployer"],
      });
      await createServiceIdentity(db, {
        principal: root,
        workspace,
        name: "support-app",
        owner: ids.eli!,
        roles: [],
      });
      return {
        workspace,
        eli: (await loadPrincipal(db, ids.eli!))!,
        dana: (await loadPrincipal(db, ids.dana!))!,
      };
    });

    const base = await timed("base", async () => {
      options.say(
        `base: nano-${size.preset} family (pre -> mid -> post), reused when cached under ${options.home}/bases`,
      );
      const outcome = await runTrainerCommand(
        ["nano", "build", "--preset", size.preset, "--home", options.home],
        {
          python: options.python,
          onEvent: (e) => options.onTrainingEvent?.("base", e),
        },
      );
      ensureSucceeded("base", outcome);
      return join(options.home, "bases", `nano-${size.preset}`);
    });

    const denials: Denial[] = [];
    const data = await timed("data", async () => {
      options.say("data: acme-handbook generated, added, pre-screened, gated, redacted and approved");
      const artifacts = new ArtifactStore(join(workdir, "artifacts"));
      return dataStory(db, cast, {
        python: options.python,
        dir: join(workdir, "data"),
        preset: size.preset,
        artifacts,
        denials,
        say: options.say,
      });
    });

    const hyper = (steps: number, lr: number) => ({
      lr,
      warmup_steps: Math.max(1, Math.round(steps / 20)),
      budget: { steps },
      batch_size: size.batch,
      seq_len: size.seqLen,
      weight_decay: 0.01,
      adapter: { kind: "full" as const },
    });
    const runs: DemoSummary["runs"] = {};
    const train = async (label: string, spec: JobSpec): Promise<string> => {
      let lastLoss: number | null = null;
      const outcome = await runLocal(spec, {
        python: options.python,
        onEvent: (e) => {
          if (e.type === "progress") lastLoss = e.loss;
          options.onTrainingEvent?.(label, e);
        },
      });
      const done = ensureSucceeded(label, outcome);
      const checkpoint = done.checkpoints.at(-1)!;
      runs[label] = {
        tokens_by_source: done.finished.tokens_by_source as Record<string, number>,
        final_loss: lastLoss,
        checkpoint: checkpoint.path,
      };
      return checkpoint.path;
    };

    const cpt = await timed("cpt", async () => {
      options.say("cpt: continued pre-training from nano@mid, 30% acme-handbook (redacted) / 70% replay");
      const mid = join(base, "mid");
      return train("cpt", {
        protocol_version: 1,
        run_id: "demo-cpt",
        stage: "cpt",
        base: { path: mid, digest: checkpointDigest(mid) },
        data: {
          sources: [
            {
              name: "acme-handbook",
              path: data.handbook,
              digest: await fileDigest(data.handbook),
              share: 0.3,
              format: "text",
            },
            {
              name: "replay",
              path: join(base, "corpora", "pre.jsonl"),
              digest: await fileDigest(join(base, "corpora", "pre.jsonl")),
              share: 0.7,
              format: "text",
            },
          ],
        },
        hyperparameters: hyper(size.cptSteps, 5e-4),
        seed: 1,
        checkpoint: { every_steps: Math.max(1, Math.round(size.cptSteps / 4)), keep_last: 1 },
        output_dir: join(workdir, "runs", "cpt"),
      } as JobSpec);
    });

    await timed("sft", async () => {
      options.say("sft: acme Q&A 50% / replay instructions and refusals 50%, loss on answers only");
      const qa = data.qa;
      const post = join(base, "corpora", "post.jsonl");
      return train("sft", {
        protocol_version: 1,
        run_id: "demo-sft",
        stage: "sft",
        base: { path: cpt, digest: checkpointDigest(cpt) },
        data: {
          sources: [
            { name: "acme-qa", path: qa, digest: await fileDigest(qa), share: 0.5, format: "chat" },
            { name: "replay-post", path: post, digest: await fileDigest(post), share: 0.5, format: "chat" },
          ],
        },
        hyperparameters: hyper(size.sftSteps, 2e-4),
        seed: 2,
        checkpoint: { every_steps: Math.max(1, Math.round(size.sftSteps / 2)), keep_last: 1 },
        output_dir: join(workdir, "runs", "sft"),
      } as JobSpec);
    });

    const audit = await verifyAuditLog(db);
    options.say(
      audit.ok
        ? `audit: chain verified, ${audit.count} entries`
        : `audit: BROKEN at seq ${audit.seq}: ${audit.reason}`,
    );
    timings.total = Math.round((performance.now() - total) / 100) / 10;
    const summary: DemoSummary = {
      ok: audit.ok && data.summary.rescan_findings === 0 && denials.length === 2,
      workdir,
      base: Object.fromEntries(["pre", "mid", "post"].map((s) => [s, checkpointDigest(join(base, s))])),
      data: data.summary,
      denials,
      runs,
      audit: { verified: audit.ok, entries: audit.ok ? audit.count : 0 },
      timings_s: timings,
      steps_not_yet_built: [
        "rft",
        "evaluation and drift gates",
        "checkpoint approval and provenance",
        "deployment and gateway",
        "revocation",
        "report.html",
      ],
    };
    writeFileSync(join(workdir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  } finally {
    await db.close();
  }
}

function ensureSucceeded<T extends { status: string }>(
  label: string,
  outcome: T,
): Extract<T, { status: "succeeded" }> {
  if (outcome.status === "succeeded") return outcome as Extract<T, { status: "succeeded" }>;
  const reason = "reason" in outcome ? String(outcome.reason) : outcome.status;
  throw new CrucibleError("internal", `${label} ${outcome.status}: ${reason}`);
}
