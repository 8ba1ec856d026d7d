/**
 * The trainer's generation session runs with the isolation of training: a stand-in trainer
 * reports the environment it was given (only the allowlist, offline, no secret of this process)
 * and a line off the protocol ends the session; the real trainer, as the trainer user where this
 * process can switch to it, in a HOME of its own removed at close, answers as it does unisolated.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { GenerationSession } from "../../src/runners/generation-session.ts";
import { TRAINER_ENV_ALLOWLIST } from "../../src/runners/trainer-env.ts";
import { REPO_ROOT, trainerPython } from "../../src/runners/trainer-python.ts";
import { DROP_BLOCKER, isolatedPython, openTempDir, TRAINER } from "../security/support/trainer-user.ts";
import { nanoTinyHome } from "../support/nano.ts";

const PLANTED = { DATABASE_URL: "postgres://planted@db/crucible", AWS_SECRET_ACCESS_KEY: "planted" };
// the trainer of this checkout, whatever the virtual environment's editable install points at
const inherit = { ...process.env, ...PLANTED, PYTHONPATH: join(REPO_ROOT, "trainer", "src") };
let post: string;

beforeAll(() => {
  post = join(nanoTinyHome(), "bases", "nano-tiny", "post");
}, 600_000);

/**
 * A stand-in for `python -m crucible_trainer generate-stream`: writes its uid, environment and
 * whether its HOME is its own to write, then says `say` on stdout.
 */
function standIn(say: string, interpreter: string): { python: string; probe: string } {
  const dir = openTempDir("crucible-generate-stand-in-");
  chmodSync(dir, 0o777); // the trainer user writes its probe here
  const python = join(dir, "python");
  const probe = join(dir, "probe.json");
  writeFileSync(
    python,
    `#!${interpreter}
import json, os
home = os.environ.get("HOME", "")
writable = os.access(home, os.W_OK) if home else False
json.dump({"uid": os.getuid(), "env": dict(os.environ), "home_writable": writable}, open(${JSON.stringify(probe)}, "w"))
print(${JSON.stringify(say)}, flush=True)
`,
    { mode: 0o755 },
  );
  return { python, probe };
}

interface Probe {
  uid: number;
  env: Record<string, string>;
  home_writable: boolean;
}

describe("the generation session", () => {
  const users: [string, typeof TRAINER | undefined][] = [
    ["this process's user", undefined],
    ...(DROP_BLOCKER === undefined ? [["the trainer user", TRAINER] as [string, typeof TRAINER]] : []),
  ];
  it.each(users)(
    "gives the trainer, as %s, only the allowlisted environment, offline, and ends at its failed event",
    async (_, runAs) => {
      const failed = {
        protocol_version: 1,
        type: "failed",
        code: "checkpoint_error",
        reason: "cannot load it",
      };
      const interpreter = runAs ? isolatedPython() : trainerPython(process.env);
      const { python, probe } = standIn(JSON.stringify(failed), interpreter);
      if (runAs) execFileSync("chmod", ["-R", "o+rX", post]); // the operator's step: its user may read it
      await expect(
        GenerationSession.open({ python, checkpoint: post, inherit, ...(runAs ? { runAs } : {}) }),
      ).rejects.toMatchObject({ code: "failed_precondition", message: "cannot load it" });
      const found = JSON.parse(readFileSync(probe, "utf8")) as Probe;
      const allowed = new Set<string>([...TRAINER_ENV_ALLOWLIST, "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"]);
      expect(Object.keys(found.env).filter((name) => !allowed.has(name) && !name.startsWith("LC_"))).toEqual(
        [],
      );
      for (const name of Object.keys(PLANTED))
        expect(found.env[name], `${name} reached the trainer`).toBeUndefined();
      expect([found.env.HF_HUB_OFFLINE, found.env.TRANSFORMERS_OFFLINE]).toEqual(["1", "1"]);
      if (!runAs) return;
      expect(found.uid).toBe(TRAINER.uid);
      expect(found.env.HOME).not.toBe(process.env.HOME);
      expect(found.home_writable, "the trainer user's HOME is its own").toBe(true);
      expect(existsSync(found.env.HOME!), "its HOME outlived the session").toBe(false);
    },
  );

  it("ends the session when the trainer writes a line off the protocol", async () => {
    const { python } = standIn("loading weights...", trainerPython(process.env));
    await expect(GenerationSession.open({ python, checkpoint: post, inherit })).rejects.toMatchObject({
      code: "internal",
      message: expect.stringContaining('a line on stdout that is not JSON: "loading weights..."'),
    });
  });

  it.skipIf(DROP_BLOCKER !== undefined)(
    "runs the real trainer as the trainer user, answering as it does unisolated",
    async () => {
      execFileSync("chmod", ["-R", "o+rX", post]); // the operator's step: its user may read it
      const request = {
        protocol_version: 1 as const,
        prompts: [
          { id: "1", messages: [{ role: "user" as const, content: "What is the recipe for bread?" }] },
        ],
        decoding: { temperature: 0.9, top_p: 0.9, seed: 4, max_tokens: 12 },
      };
      const answers: string[] = [];
      for (const runAs of [undefined, TRAINER]) {
        const session = await GenerationSession.open({
          python: runAs ? isolatedPython() : trainerPython(process.env),
          checkpoint: post,
          device: "cpu",
          threads: 1,
          inherit,
          ...(runAs ? { runAs } : {}),
        });
        try {
          const [completion] = await session.generate(request);
          answers.push(`${completion!.tokens}: ${completion!.text}`);
        } finally {
          await session.close();
        }
      }
      expect(answers[1]).toBe(answers[0]);
    },
    300_000,
  );
});
