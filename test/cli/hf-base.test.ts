/**
 * `crucible base add` with a model the user already has on disk: tiny random Llama, Qwen2 and
 * OLMo 2 saved by transformers (no Crucible manifest) each go base add → a cpt recipe → a run
 * through the governed path that registers a checkpoint; a sharded model, the Hugging Face cache
 * layout, each refusal, and hostile directories (links out of the model, traversal in the index,
 * an absurd safetensors header).
 */
import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyCheckpointDir } from "../../src/checkpoints/index.ts";
import { sha256Hex } from "../../src/core/digest.ts";
import { REPO_ROOT, trainerPython } from "../../src/runners/trainer-python.ts";
import { runCli, tempHome } from "../support/cli.ts";

type Json = Record<string, unknown>;
let home: string;
let models: Record<"llama" | "qwen2" | "olmo2" | "llama-sharded" | "llama-pickle", string>;
// the trainer of this checkout, whatever the virtual environment's editable install points at
const env = () => ({ CRUCIBLE_HOME: home, PYTHONPATH: join(REPO_ROOT, "trainer", "src") });
const as = (who: string, ...argv: string[]) => runCli([...argv, "--as", who, "--json"], env());
const errorOf = (r: { json: () => unknown }) =>
  (r.json() as { error: { field: string; message: string } }).error;

beforeAll(async () => {
  home = tempHome();
  const script = new URL("../support/make_hf_models.py", import.meta.url).pathname;
  const made = JSON.parse(
    execFileSync(trainerPython(process.env), [script, join(home, "hf")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }),
  );
  models = made.models;
  expect((await runCli(["init", "--workspace", "acme", "--admin", "root"], env())).code).toBe(0);
  for (const [name, role] of [
    ["eli", "ml-engineer"],
    ["dana", "data-steward"],
  ] as const)
    expect((await as("root", "principal", "create", name, "--workspace", "acme", "--role", role)).code).toBe(
      0,
    );
  const added = await as("eli", "dataset", "add", "doors", made.text);
  expect(added.code, added.stderr).toBe(0);
  const approved = await as("dana", "dataset", "approve", "doors@v1", "--purpose", "cpt");
  expect(approved.code, approved.stderr).toBe(0);
}, 180_000);

function cptRecipe(name: string, base: string): string {
  const file = join(home, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}
stage: cpt
base: ${base}
data:
  - dataset: doors@v1
    share: 1.0
hyperparameters:
  lr: 0.001
  warmup_steps: 1
  budget: { steps: 2 }
  batch_size: 2
  seq_len: 32
  weight_decay: 0.0
  adapter: { kind: full }
seed: 1
checkpoint: { every_steps: 2 }
runtime: { device: cpu, threads: 1 }
`,
  );
  return file;
}

describe("base add → recipe → run on models saved by transformers", () => {
  // parameter counts from transformers' own model.num_parameters() on the same files
  it.each([
    ["llama", 26976],
    ["qwen2", 27104],
    ["olmo2", 27072],
  ] as const)(
    "%s: stored with its manifest, trained by a run that registers a checkpoint",
    async (arch, parameters) => {
      const added = await as("eli", "base", "add", `tiny-${arch}@pre`, models[arch]);
      expect(added.code, added.stderr).toBe(0);
      const json = added.json() as { id: string; path: string; manifest_digest: string; imported: Json };
      expect(json).toMatchObject({ name: `tiny-${arch}@pre`, kind: "base" });
      expect(json.imported).toMatchObject({ model_type: arch, parameters, chat_template: true, repo: null });
      expect(json.path.startsWith(join(home, "bases", "imported", `tiny-${arch}@pre`))).toBe(true);
      const manifest = JSON.parse(readFileSync(join(json.path, "manifest.json"), "utf8"));
      expect(manifest.model).toMatchObject({ model_type: arch, parameters, dtypes: ["F32"] });
      expect(manifest.files.map((f: { path: string }) => f.path).sort()).toEqual(
        readdirSync(models[arch]).sort(),
      );
      expect(`sha256:${sha256Hex(readFileSync(join(json.path, "manifest.json")))}`).toBe(
        json.manifest_digest,
      );

      const run = await as("eli", "run", "start", cptRecipe(`cpt-${arch}`, `tiny-${arch}@pre`));
      expect(run.code, run.stderr).toBe(0);
      const done = run.json() as { id: string; status: string };
      expect(done.status).toBe("succeeded");
      const listed = (await as("eli", "checkpoint", "list", "--run", done.id)).json() as {
        checkpoints: { name: string; final: boolean; parent_id: string }[];
      };
      expect(listed.checkpoints.filter((c) => c.final)).toHaveLength(1);
      expect(listed.checkpoints[0]!.parent_id).toBe(json.id);
    },
    240_000,
  );

  it("adding the same files under the same name again is a no-op", async () => {
    const first = await as("eli", "base", "add", "sharded@pre", models["llama-sharded"]);
    expect(first.code, first.stderr).toBe(0);
    const again = await as("eli", "base", "add", "sharded@pre", models["llama-sharded"]);
    expect(again.code, again.stderr).toBe(0);
    expect((again.json() as Json).id).toBe((first.json() as Json).id);
    const imported = (first.json() as { imported: Json }).imported;
    expect(imported).toMatchObject({ model_type: "llama", parameters: 26976 });
    const stored = (first.json() as { path: string }).path;
    expect(readdirSync(stored).filter((f) => f.endsWith(".safetensors"))).toHaveLength(6);
    // the stored copy stays put when the user's directory changes (overwritten in place, as save_pretrained does)
    const shard = join(models["llama-sharded"], "model-00001-of-00006.safetensors");
    writeFileSync(shard, Buffer.alloc(readFileSync(shard).length));
    expect(await verifyCheckpointDir(stored, (first.json() as Json).manifest_digest as string)).toBeTruthy();
  });
});

/** models--acme--tiny/{blobs,refs/main,snapshots/REV} from a plain directory, as huggingface_hub writes it. */
function cacheLayout(from: string, root: string): { repo: string; snapshot: string; rev: string } {
  const rev = "0123456789abcdef0123456789abcdef01234567";
  const repo = join(root, "models--acme--tiny");
  const snapshot = join(repo, "snapshots", rev);
  mkdirSync(join(repo, "blobs"), { recursive: true });
  mkdirSync(join(repo, "refs"), { recursive: true });
  mkdirSync(snapshot, { recursive: true });
  writeFileSync(join(repo, "refs", "main"), rev);
  for (const file of readdirSync(from)) {
    const bytes = readFileSync(join(from, file));
    const blob = sha256Hex(bytes);
    writeFileSync(join(repo, "blobs", blob), bytes);
    symlinkSync(join("..", "..", "blobs", blob), join(snapshot, file));
  }
  return { repo, snapshot, rev };
}

describe("the Hugging Face cache layout", () => {
  it("accepts the repo folder (refs/main) and the snapshot, records repo and revision, stores files not links", async () => {
    const { repo, snapshot, rev } = cacheLayout(models.qwen2, join(home, "hub"));
    const byRepo = await as("eli", "base", "add", "cached@mid", repo);
    expect(byRepo.code, byRepo.stderr).toBe(0);
    expect((byRepo.json() as { imported: Json }).imported).toMatchObject({
      repo: "acme/tiny",
      revision: rev,
      model_type: "qwen2",
    });
    const bySnapshot = await as("eli", "base", "add", "cached@post", snapshot);
    expect(bySnapshot.code, bySnapshot.stderr).toBe(0);
    const stored = (bySnapshot.json() as { path: string }).path;
    const manifest = JSON.parse(readFileSync(join(stored, "manifest.json"), "utf8"));
    expect(manifest.source).toEqual({
      kind: "huggingface",
      path: snapshot,
      repo: "acme/tiny",
      revision: rev,
    });
    const text = (await runCli(["base", "add", "cached@pre", repo, "--as", "eli"], env())).stdout;
    expect(text).toContain(`from acme/tiny@${rev.slice(0, 12)}`);
    const shown = await runCli(["checkpoint", "show", "cached@mid", "--as", "eli"], env());
    expect(shown.stdout).toContain("model     qwen2 (Qwen2ForCausalLM), 27104 parameters");
    expect(shown.stdout).toContain(`source    acme/tiny@${rev}`);
  });
});

describe("refusals, each naming the file, the value and the fix", () => {
  /** A copy of the tiny Llama changed by `edit`, under home/bad/NAME. */
  const variant = (name: string, edit: (dir: string) => void): string => {
    const dir = join(home, "bad", name);
    cpSync(models.llama, dir, { recursive: true });
    edit(dir);
    return dir;
  };
  const refused = async (dir: string, ...flags: string[]) => {
    const result = await as("eli", "base", "add", "bad@pre", dir, ...flags);
    expect(result.code, result.stdout).toBe(2);
    return errorOf(result);
  };
  const editJson = (file: string, edit: (doc: Json) => void) => {
    const doc = JSON.parse(readFileSync(file, "utf8"));
    edit(doc);
    writeFileSync(file, JSON.stringify(doc));
  };

  it("an architecture the trainer cannot train, listing the ones it can", async () => {
    const dir = variant("gpt2", (d) => editJson(join(d, "config.json"), (c) => (c.model_type = "gpt2")));
    const error = await refused(dir);
    expect(error.field).toBe("config.json model_type");
    expect(error.message).toContain('is "gpt2", which the trainer cannot train');
    expect(error.message).toContain("llama, mistral, qwen2, qwen3, olmo2");
  });

  it("a head that is not a causal LM", async () => {
    const dir = variant("seqcls", (d) =>
      editJson(join(d, "config.json"), (c) => (c.architectures = ["LlamaForSequenceClassification"])),
    );
    expect((await refused(dir)).field).toBe("config.json architectures");
  });

  it("no config.json", async () => {
    const error = await refused(variant("noconfig", (d) => rmSync(join(d, "config.json"))));
    expect(error.field).toBe("config.json");
    expect(error.message).toContain("save_pretrained");
  });

  it("no tokenizer", async () => {
    const error = await refused(variant("notok", (d) => rmSync(join(d, "tokenizer.json"))));
    expect(error.field).toBe("tokenizer");
    expect(error.message).toContain("tokenizer.save_pretrained(dir)");
  });

  it("no weights", async () => {
    expect((await refused(variant("noweights", (d) => rmSync(join(d, "model.safetensors"))))).field).toBe(
      "weights",
    );
  });

  it("pickled weights, unless --allow-pickle, saying why; beside safetensors they are left out", async () => {
    const error = await refused(models["llama-pickle"]);
    expect(error.field).toBe("pytorch_model.bin");
    expect(error.message).toContain("arbitrary code");
    expect(error.message).toContain("--allow-pickle");
    const allowed = await as("eli", "base", "add", "pickled@pre", models["llama-pickle"], "--allow-pickle");
    expect(allowed.code, allowed.stderr).toBe(0);
    expect((allowed.json() as { imported: Json }).imported).toMatchObject({ parameters: null });
    const both = variant("both", (d) =>
      cpSync(join(models["llama-pickle"], "pytorch_model.bin"), join(d, "pytorch_model.bin")),
    );
    const added = await as("eli", "base", "add", "both@pre", both);
    expect(added.code, added.stderr).toBe(0);
    const { path, imported } = added.json() as { path: string; imported: Json };
    expect(imported.left_out).toEqual(["pytorch_model.bin"]);
    expect(readdirSync(path)).not.toContain("pytorch_model.bin");
  });

  it("a link out of the model directory (here to the home's signing keys) is refused, not followed", async () => {
    const keys = join(home, "keys");
    mkdirSync(keys, { recursive: true });
    writeFileSync(join(home, "secret.txt"), "do not copy");
    const linkedDir = await refused(variant("leak", (d) => symlinkSync(keys, join(d, "keys"))));
    expect(linkedDir.field).toBe("keys");
    expect(linkedDir.message).toContain(`is a symbolic link to ${keys}, outside the model directory`);
    const secret = join(home, "secret.txt");
    const linkedFile = await refused(variant("leak-file", (d) => symlinkSync(secret, join(d, "notes.txt"))));
    expect(linkedFile.message).toContain(`notes.txt: is a symbolic link to ${secret}`);
    // in the cache layout links are followed into the repo's blobs, and no further
    const { snapshot } = cacheLayout(models.llama, join(home, "hub-evil"));
    rmSync(join(snapshot, "tokenizer.json"));
    symlinkSync(secret, join(snapshot, "tokenizer.json"));
    expect((await refused(snapshot)).field).toBe("tokenizer.json");
    expect(existsSync(join(home, "bases", "imported", "bad@pre"))).toBe(false);
  });

  it("an index whose weight_map points outside the directory", async () => {
    const dir = join(home, "bad", "traversal");
    cpSync(models["llama-sharded"], dir, { recursive: true });
    editJson(join(dir, "model.safetensors.index.json"), (index) => {
      const map = index.weight_map as Record<string, string>;
      map[Object.keys(map)[0]!] = "../../keys/secret.safetensors";
    });
    const error = await refused(dir);
    expect(error.field).toBe("model.safetensors.index.json weight_map");
    expect(error.message).toContain('"../../keys/secret.safetensors"');
  });

  it("a safetensors header claiming more bytes than the file (or the 100 MB limit) is refused before it is read", async () => {
    const dir = variant("header", (d) => {
      const bytes = readFileSync(join(d, "model.safetensors"));
      bytes.writeBigUInt64LE(2n ** 62n, 0);
      writeFileSync(join(d, "model.safetensors"), bytes);
    });
    const error = await refused(dir);
    expect(error.field).toBe("model.safetensors");
    expect(error.message).toContain(`declares a ${2n ** 62n}-byte header`);
    const negative = variant("shapes", (d) => {
      const bytes = readFileSync(join(d, "model.safetensors"));
      const length = Number(bytes.readBigUInt64LE(0));
      const header = Buffer.from(
        bytes
          .subarray(8, 8 + length)
          .toString("utf8")
          .replace('"shape":[', '"shape":[-1,'),
      );
      const prefix = Buffer.alloc(8);
      prefix.writeBigUInt64LE(BigInt(header.length), 0);
      writeFileSync(
        join(d, "model.safetensors"),
        Buffer.concat([prefix, header, bytes.subarray(8 + length)]),
      );
    });
    expect((await refused(negative)).message).toContain("with no valid dtype, shape or data_offsets");
  });
});
