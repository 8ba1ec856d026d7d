/**
 * `crucible generate` and `crucible chat` on the nano tiny family's post checkpoint, registered
 * as a base: greedy output is deterministic and the trainer's own, batched equals alone, a seed
 * reproduces a sample, chat carries the conversation through the chat template, and the
 * governed decision (`checkpoint.generate`) denies, refuses a tainted checkpoint and is audited
 * with the decoding parameters but never the prompt.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { registerRunCheckpoint } from "../../src/checkpoints/index.ts";
import { sha256Hex } from "../../src/core/digest.ts";
import { exitCode } from "../../src/core/errors.ts";
import { workspaceByName } from "../../src/identity/names.ts";
import { recordEdge } from "../../src/lineage/edges.ts";
import { REPO_ROOT, trainerPython } from "../../src/runners/trainer-python.ts";
import { openStore } from "../../src/store/open.ts";
import { copyCheckpoint, insertRun } from "../checkpoints/fixture.ts";
import { runCli, tempHome } from "../support/cli.ts";
import { nanoTinyHome } from "../support/nano.ts";

type Json = Record<string, unknown>;
type Line = { id: string; completion: string; tokens: number; finish_reason: string; seed: number };
let home: string;
let post: string;
const ids: Record<string, string> = {};
// the trainer of this checkout, whatever the virtual environment's editable install points at
const env = () => ({ CRUCIBLE_HOME: home, PYTHONPATH: join(REPO_ROOT, "trainer", "src") });
const as = (who: string, argv: string[], input?: string) => runCli([...argv, "--as", who], env(), input);
const lines = (stdout: string): Line[] =>
  stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Line);

const CONVERSATIONS = [
  [{ role: "user", content: "What is the recipe for lemonade?" }],
  [
    { role: "system", content: "Answer briefly." },
    { role: "user", content: "What are the steps to create bread?" },
  ],
];
const PROMPT = "What are the steps to create tea?";

/** `python -m crucible_trainer generate`: the trainer's own greedy completions of conversations. */
function trainersOwn(conversations: unknown[], maxTokens: number): string[] {
  const file = join(home, `own-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(
    file,
    conversations.map((messages, i) => `${JSON.stringify({ id: `c${i}`, messages })}\n`).join(""),
  );
  const out = execFileSync(
    trainerPython(process.env),
    ["-m", "crucible_trainer", "generate", "--checkpoint", post, "--prompts", file].concat([
      "--max-new-tokens",
      String(maxTokens),
      "--threads",
      "1",
      "--device",
      "cpu",
    ]),
    { encoding: "utf8", env: { ...process.env, ...env() }, stdio: ["ignore", "pipe", "ignore"] },
  );
  return out
    .trim()
    .split("\n")
    .map((l) => (JSON.parse(l) as { completion: string }).completion);
}

beforeAll(async () => {
  home = tempHome();
  post = join(nanoTinyHome(), "bases", "nano-tiny", "post");
  expect((await runCli(["init", "--workspace", "acme", "--admin", "root"], env())).code).toBe(0);
  for (const [name, role] of [
    ["eli", "ml-engineer"],
    ["dana", "data-steward"],
    ["audra", "auditor"],
  ] as const) {
    const made = await as("root", [
      "principal",
      "create",
      name,
      "--workspace",
      "acme",
      "--role",
      role,
      "--json",
    ]);
    expect(made.code, made.stderr).toBe(0);
    ids[name] = (made.json() as { id: string }).id;
  }
  const added = await as("eli", ["base", "add", "nano@post", post, "--json"]);
  expect(added.code, added.stderr).toBe(0);
}, 600_000);

const GREEDY = ["--temperature", "0", "--max-tokens", "8", "--threads", "1", "--device", "cpu"];

describe("crucible generate", () => {
  it("decodes greedily the same every time, as the trainer's own generation, batched as alone", async () => {
    const file = join(home, "prompts.jsonl");
    writeFileSync(
      file,
      [{ prompt: PROMPT }, ...CONVERSATIONS.map((messages, i) => ({ id: `conv-${i}`, messages }))]
        .map((l) => `${JSON.stringify(l)}\n`)
        .join(""),
    );
    const first = await as("eli", ["generate", "nano@post", "--file", file, ...GREEDY, "--json"]);
    expect(first.code, first.stderr).toBe(0);
    const again = await as("eli", [
      "generate",
      "nano@post",
      "--file",
      file,
      ...GREEDY,
      "--out",
      join(home, "o.jsonl"),
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("wrote 3 completion(s)");
    const batched = lines(first.stdout);
    expect(batched.map((l) => l.id)).toEqual(["1", "conv-0", "conv-1"]);
    expect(lines(readFileSync(join(home, "o.jsonl"), "utf8"))).toEqual(batched);
    const own = trainersOwn([[{ role: "user", content: PROMPT }], ...CONVERSATIONS], 8);
    expect(batched.map((l) => l.completion)).toEqual(own);
    expect(batched.filter((l) => l.completion !== "").length, "a meaningful comparison").toBeGreaterThan(0);
    expect(batched.every((l) => l.tokens >= 1 && l.tokens <= 8)).toBe(true);

    const alone = await as("eli", ["generate", "nano@post", "--prompt", PROMPT, ...GREEDY, "--json"]);
    expect(alone.code, alone.stderr).toBe(0);
    expect(lines(alone.stdout)[0]!.completion).toBe(batched[0]!.completion);
  }, 600_000);

  it("gives the same sample for the same seed, and another for another seed", async () => {
    const sample = (seed: string) =>
      as(
        "eli",
        ["generate", "nano@post", "--prompt", PROMPT, "--temperature", "1", "--top-p", "1"].concat([
          "--max-tokens",
          "16",
          "--seed",
          seed,
          "--threads",
          "1",
          "--device",
          "cpu",
          "--json",
        ]),
      );
    const [a, b, c] = [await sample("7"), await sample("7"), await sample("8")];
    for (const r of [a, b, c]) expect(r.code, r.stderr).toBe(0);
    expect(lines(a.stdout)).toEqual(lines(b.stdout));
    expect(lines(a.stdout)[0]!.seed).toBe(7);
    expect(lines(c.stdout)[0]!.completion).not.toBe(lines(a.stdout)[0]!.completion);
  }, 600_000);

  it("refuses bad decoding parameters and inputs before loading anything, naming the flag", async () => {
    const file = join(home, "bad.jsonl");
    writeFileSync(file, `${JSON.stringify({ prompt: "hi" })}\n${JSON.stringify({ text: "hi" })}\n`);
    const cases: [string[], RegExp][] = [
      [
        ["--temperature", "2.5"],
        /--temperature: must be a number from 0 to 2 \(got "2.5"\)\. Use 0 for greedy/,
      ],
      [["--temperature", "warm"], /--temperature: .*\(got "warm"\)/],
      [["--top-p", "0"], /--top-p: must be a number above 0 and at most 1 \(got "0"\)/],
      [["--max-tokens", "0"], /--max-tokens: must be a whole number of at least 1 \(got "0"\)/],
      [["--max-tokens", "1.5"], /--max-tokens: .*\(got "1.5"\)/],
      [["--seed", "-3"], /--seed: must be a whole number from 0 to \d+ \(got "-3"\)/],
      [["--device", "tpu"], /--device: .*\(got "tpu"\)\. Use one of auto, cpu, cuda/],
    ];
    for (const [flags, message] of cases) {
      const r = await as("eli", ["generate", "nano@post", "--prompt", "hi", ...flags]);
      expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(message)]);
    }
    const neither = await as("eli", ["generate", "nano@post"]);
    expect([neither.code, neither.stderr]).toEqual([
      2,
      expect.stringContaining("give either --prompt or --file"),
    ]);
    const badLine = await as("eli", ["generate", "nano@post", "--file", file]);
    expect([badLine.code, badLine.stderr]).toEqual([
      2,
      expect.stringContaining("line 2: has neither prompt nor messages"),
    ]);
    const tooLong = await as("eli", ["generate", "nano@post", "--prompt", "lamp ".repeat(200), ...GREEDY]);
    expect([tooLong.code, tooLong.stderr]).toEqual([
      2,
      expect.stringMatching(/prompt 1 has \d+ tokens.*128 positions.*fix:/),
    ]);
  }, 600_000);
});

describe("a checkpoint's files", () => {
  it("must still be the registered ones before anything loads", async () => {
    const copy = copyCheckpoint(post);
    const added = await as("eli", ["base", "add", "copy@post", copy]);
    expect(added.code, added.stderr).toBe(0);
    const dir = ((await as("eli", ["checkpoint", "show", "copy@post", "--json"])).json() as { path: string })
      .path;
    writeFileSync(join(dir, "manifest.json"), `${readFileSync(join(dir, "manifest.json"), "utf8")}\n`);
    const r = await as("eli", ["generate", "copy@post", "--prompt", "hi", "--json"]);
    expect(r.code).toBe(exitCode("failed_precondition"));
    expect((r.json() as { error: { code: string; message: string } }).error).toMatchObject({
      code: "failed_precondition",
      message: expect.stringMatching(
        /manifest\.json is not the registered one: registered sha256:\w+, found sha256:\w+/,
      ),
    });
  });
});

describe("crucible chat", () => {
  it("holds a two-turn conversation from a pipe through the chat template, /reset and /exit", async () => {
    const input = "What is the recipe for bread?\nAnd for tea?\n/reset\nAnd for tea?\n/exit\nnever read\n";
    const r = await as("eli", ["chat", "nano@post", ...GREEDY, "--json"], input);
    expect(r.code, r.stderr).toBe(0);
    const turns = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { turn: number; reply: string });
    expect(turns.map((t) => t.turn)).toEqual([1, 2, 3]);
    const first = [{ role: "user", content: "What is the recipe for bread?" }];
    const own = trainersOwn(
      [
        first,
        [
          ...first,
          { role: "assistant", content: turns[0]!.reply },
          { role: "user", content: "And for tea?" },
        ],
        [{ role: "user", content: "And for tea?" }],
      ],
      8,
    );
    expect(turns.map((t) => t.reply)).toEqual(own);
    expect(own[1], "the second turn saw the first: it differs from the same question alone").not.toBe(own[2]);
    const streamed = await as("eli", ["chat", "nano@post", ...GREEDY], "What is the recipe for bread?\n");
    expect(streamed.code, streamed.stderr).toBe(0);
    expect(streamed.stdout.trim()).toBe(own[0]);
  }, 600_000);
});

describe("using a checkpoint is governed", () => {
  it("denies a principal without checkpoint.generate, refuses a tainted checkpoint, audits both with the parameters", async () => {
    const denied = await as("audra", [
      "generate",
      "nano@post",
      "--prompt",
      "my secret prompt",
      "--seed",
      "5",
      "--json",
    ]);
    expect(denied.code).toBe(3);
    expect((denied.json() as { error: { rule: string } }).error.rule).toBe("default-deny");

    // a run checkpoint shaped by a dataset that is then revoked
    const data = join(home, "doors.jsonl");
    writeFileSync(
      data,
      `${Array.from({ length: 5 }, (_, i) => JSON.stringify({ text: `Door ${i} is red.` })).join("\n")}\n`,
    );
    expect((await as("eli", ["dataset", "add", "doors", data])).code).toBe(0);
    const name = await (async () => {
      const db = await openStore({ kind: "pglite", home });
      try {
        const workspace = await workspaceByName(db, "acme");
        const runId = await insertRun(db, { workspace, name: "doors-sft", starter: ids.eli! });
        const { rows } = await db.query<{ id: string }>("SELECT id FROM dataset_versions");
        await recordEdge(db, {
          workspace,
          from: { kind: "dataset_version", id: rows[0]!.id },
          to: { kind: "run", id: runId },
        });
        const manifest = JSON.parse(readFileSync(join(post, "manifest.json"), "utf8")) as Json;
        const digest = `sha256:${sha256Hex(readFileSync(join(post, "manifest.json")))}`;
        const row = await db.transaction((tx) =>
          registerRunCheckpoint(tx, {
            workspace,
            runId,
            runName: "doors-sft",
            stage: String(manifest.stage),
            stageIdx: 0,
            step: Number(manifest.step),
            final: true,
            path: post,
            manifestDigest: digest,
            parentId: null,
            registeredBy: `workload:${runId}`,
          }),
        );
        return row.name;
      } finally {
        await db.close();
      }
    })();
    const revoked = await as("dana", [
      "dataset",
      "revoke",
      "doors@v1",
      "--reason",
      "consent withdrawn",
      "--json",
    ]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((revoked.json() as { tainted_checkpoints: string[] }).tainted_checkpoints).toHaveLength(1);
    const tainted = await as("eli", ["generate", name, "--prompt", "hi", "--temperature", "0", "--json"]);
    expect(tainted.code).toBe(3);
    const error = (tainted.json() as { error: { rule: string; message: string } }).error;
    expect(error.rule).toBe("gate.generate-untainted");
    expect(error.message).toContain(`${name} is tainted: dataset doors@v1 revoked: consent withdrawn`);

    const db = await openStore({ kind: "pglite", home });
    try {
      const { rows } = await db.query<{ actor: string; decision: string; rules: string[]; reason: string }>(
        "SELECT actor, decision, rules, reason FROM audit_log WHERE action = 'checkpoint.generate' ORDER BY seq",
      );
      const denials = rows.filter((r) => r.decision === "deny");
      expect(denials.map((r) => [r.actor, r.rules])).toEqual([
        [ids.audra, ["default-deny"]],
        [ids.eli, ["gate.generate-untainted"]],
      ]);
      expect(denials[0]!.reason).toMatch(
        /generate: temperature 0\.7, top_p 0\.95, max_tokens default, seed 5, 1 prompt$/,
      );
      // every use by eli above, in order: 3 greedy generates, 3 samples, the prompt too long, the
      // copy whose files changed (allowed, then refused before loading), 2 chats
      const uses = rows
        .filter((r) => r.decision === "allow")
        .map((r) =>
          r.reason
            .split("; ")
            .at(-1)!
            .replace(/seed \d+/, "seed N"),
        );
      const greedy = "generate: temperature 0, top_p 0.95, max_tokens 8, seed N";
      const sampled = "generate: temperature 1, top_p 1, max_tokens 16, seed N, 1 prompt";
      const chat = "chat: temperature 0, top_p 0.95, max_tokens 8, seed N";
      expect(uses).toEqual([
        `${greedy}, 3 prompts`,
        `${greedy}, 3 prompts`,
        `${greedy}, 1 prompt`,
        sampled,
        sampled,
        sampled,
        `${greedy}, 1 prompt`,
        "generate: temperature 0.7, top_p 0.95, max_tokens default, seed N, 1 prompt",
        chat,
        chat,
      ]);
      for (const r of rows) expect(r.reason).not.toMatch(/secret prompt|tea|bread|lemonade/);
    } finally {
      await db.close();
    }
  }, 600_000);
});
