import { readFile } from "node:fs/promises";
import { invalid } from "../../core/errors.ts";
import { type ModelType, trainableModelTypes } from "../../protocol/model-types.ts";
import { readSafetensorsHeader } from "./safetensors.ts";
import type { SourceFile } from "./source.ts";

/** What `crucible base add` reads from a Hugging Face model directory. */
export interface ModelInspection {
  modelType: ModelType;
  architectures: string[];
  /** Absent for pickled weights, which are never opened. */
  parameters?: number;
  dtypes: string[];
  chatTemplate: boolean;
  /** config.json's `transformers_version`: the library that saved the model. */
  transformersVersion?: string;
  /** Files not stored: pickles beside safetensors weights, which the trainer would never load. */
  leftOut: string[];
}

/** config.json, tokenizer_config.json and an index are small; a larger one is not what it claims. */
const MAX_JSON_BYTES = 50_000_000;
const PICKLE = /\.(bin|pt|pth|pkl|pickle|ckpt)$/;

/**
 * Checks that the trainer can train the model in `files` and reads what the manifest records:
 * config.json's model type (one of the protocol's trainable types) and architectures, the
 * parameter count and dtypes from the safetensors headers (`model.safetensors`, or the shards
 * `model.safetensors.index.json` names, each a plain file name present here), a tokenizer, a chat
 * template. Pickled weights are refused unless `allowPickle`. Each refusal names the file, the
 * value and the fix.
 * @example const { modelType, parameters } = await inspectModel(files, { allowPickle: false });
 */
export async function inspectModel(
  files: readonly SourceFile[],
  options: { allowPickle: boolean; dir: string },
): Promise<ModelInspection> {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const config = await readJson(byPath, "config.json");
  if (config === undefined)
    throw invalid(
      "config.json",
      "is missing, so the architecture is unknown",
      options.dir,
      "Give a Hugging Face model directory: model.save_pretrained(dir) writes config.json beside the weights",
    );
  const modelType = checkModelType(config);
  const architectures = checkArchitectures(config);
  const weights = await readWeights(byPath, options);
  checkTokenizer(byPath, options.dir);
  const tokenizerConfig = await readJson(byPath, "tokenizer_config.json");
  const chatTemplate =
    byPath.has("chat_template.jinja") ||
    byPath.has("chat_template.json") ||
    (tokenizerConfig?.chat_template !== undefined && tokenizerConfig.chat_template !== null);
  const transformersVersion = config.transformers_version;
  return {
    modelType,
    architectures,
    ...weights,
    chatTemplate,
    ...(typeof transformersVersion === "string" ? { transformersVersion } : {}),
  };
}

function checkModelType(config: Record<string, unknown>): ModelType {
  const supported = trainableModelTypes();
  const modelType = config.model_type;
  if (typeof modelType !== "string" || !(supported as readonly string[]).includes(modelType))
    throw invalid(
      "config.json model_type",
      `is ${JSON.stringify(modelType ?? null)}, which the trainer cannot train`,
      modelType ?? null,
      `Use a model of type ${supported.join(", ")} (causal LMs whose attention honours packed sequences; protocol/checkpoint-manifest.schema.json $defs/model_type)`,
    );
  return modelType as ModelType;
}

function checkArchitectures(config: Record<string, unknown>): string[] {
  const architectures = Array.isArray(config.architectures)
    ? config.architectures.filter((a): a is string => typeof a === "string" && a.length > 0)
    : [];
  if (architectures.length > 0 && !architectures.some((a) => a.endsWith("ForCausalLM")))
    throw invalid(
      "config.json architectures",
      `is ${JSON.stringify(architectures)}: no causal-LM head (…ForCausalLM), so there is nothing to train`,
      architectures,
      "Give the causal-LM checkpoint of the model (its architectures names e.g. LlamaForCausalLM)",
    );
  return architectures;
}

async function readWeights(
  byPath: Map<string, SourceFile>,
  { allowPickle, dir }: { allowPickle: boolean; dir: string },
): Promise<{ parameters?: number; dtypes: string[]; leftOut: string[] }> {
  const pickles = [...byPath.keys()].filter((p) => PICKLE.test(p));
  const safe = await shardsOf(byPath, "model.safetensors", ".safetensors");
  if (safe.shards.length > 0) {
    let parameters = 0;
    const dtypes = new Set<string>();
    for (const shard of safe.shards) {
      const header = await readSafetensorsHeader(byPath.get(shard)!.from, shard);
      parameters += header.parameters;
      for (const t of header.tensors.values()) dtypes.add(t.dtype);
      const absent = safe.tensorsIn(shard).filter((t) => !header.tensors.has(t));
      if (absent.length > 0)
        throw invalid(
          "model.safetensors.index.json weight_map",
          `places ${absent.length} tensors in ${shard} that it does not hold (${absent.slice(0, 3).join(", ")})`,
          shard,
          "Download the shards and the index of the same revision again",
        );
    }
    return { parameters, dtypes: [...dtypes].sort(), leftOut: pickles };
  }
  const pickled = await shardsOf(byPath, "pytorch_model.bin", ".bin");
  if (pickled.shards.length > 0) {
    if (!allowPickle)
      throw invalid(
        byPath.has("pytorch_model.bin") ? "pytorch_model.bin" : "pytorch_model.bin.index.json",
        "holds pickled weights, and loading a pickle can run arbitrary code",
        pickled.shards.join(", "),
        "Convert them to safetensors (load once where it is safe, then model.save_pretrained(dir, safe_serialization=True)), or pass --allow-pickle if you trust where the model came from",
      );
    return { dtypes: [], leftOut: [] };
  }
  throw invalid(
    "weights",
    "none found: no model.safetensors, model.safetensors.index.json or pytorch_model.bin",
    dir,
    "Save the model with model.save_pretrained(dir, safe_serialization=True)",
  );
}

/**
 * The single weights file `single`, or every shard `<single>.index.json` names, each checked to be
 * a plain file name (no folder, no `..`) present right here, with the tensors the index puts in it.
 */
async function shardsOf(
  byPath: Map<string, SourceFile>,
  single: string,
  extension: string,
): Promise<{ shards: string[]; tensorsIn: (shard: string) => string[] }> {
  const indexName = `${single}.index.json`;
  const index = await readJson(byPath, indexName);
  if (index === undefined) return { shards: byPath.has(single) ? [single] : [], tensorsIn: () => [] };
  const map = index.weight_map;
  if (typeof map !== "object" || map === null || Array.isArray(map))
    throw invalid(
      `${indexName} weight_map`,
      "is not an object of tensor name → shard file",
      map ?? null,
      "Save the model again with save_pretrained",
    );
  const entries = Object.entries(map as Record<string, unknown>);
  for (const shard of new Set(entries.map(([, s]) => s)))
    if (
      typeof shard !== "string" ||
      !shard.endsWith(extension) ||
      /[/\\]/.test(shard) ||
      shard.startsWith("..")
    )
      throw invalid(
        `${indexName} weight_map`,
        `names ${JSON.stringify(shard)}, which is not a ${extension} file name in the model directory`,
        shard,
        `A shard is a plain file name beside the index (model-00001-of-00002${extension}); save the model again`,
      );
    else if (!byPath.has(shard))
      throw invalid(
        `${indexName} weight_map`,
        `names shard ${shard}, which is not in the directory`,
        shard,
        "Download the missing shard, or save the model again",
      );
  const shards = [...new Set(entries.map(([, s]) => s as string))].sort();
  return { shards, tensorsIn: (shard) => entries.filter(([, s]) => s === shard).map(([t]) => t) };
}

function checkTokenizer(byPath: Map<string, SourceFile>, dir: string): void {
  const has = (p: string) => byPath.has(p);
  if (has("tokenizer.json") || has("tokenizer.model") || (has("vocab.json") && has("merges.txt"))) return;
  throw invalid(
    "tokenizer",
    "is missing: no tokenizer.json, tokenizer.model, or vocab.json with merges.txt",
    dir,
    "Save the tokenizer beside the model (tokenizer.save_pretrained(dir)): the trainer tokenizes the data with it",
  );
}

async function readJson(
  byPath: Map<string, SourceFile>,
  name: string,
): Promise<Record<string, unknown> | undefined> {
  const file = byPath.get(name);
  if (file === undefined) return undefined;
  if (file.bytes > MAX_JSON_BYTES)
    throw invalid(
      name,
      `is ${file.bytes} bytes, more than ${MAX_JSON_BYTES}`,
      file.bytes,
      "Restore the file",
    );
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file.from, "utf8"));
  } catch (err) {
    throw invalid(name, `is not JSON: ${(err as Error).message}`, name, "Restore the file");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw invalid(name, "is not a JSON object", name, "Restore the file");
  return value as Record<string, unknown>;
}
