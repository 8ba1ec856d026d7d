/* Generated from protocol/checkpoint-manifest.schema.json by `npm run gen:protocol`. Do not edit by
 * hand: change the schema and regenerate; test/protocol checks this file is current. */

/**
 * A training stage the trainer implements; the one list of them (the other schemas refer to it, the trainer reads it). cpt: continued pre-training, causal-LM loss on every token of packed text or chat; sft: supervised fine-tuning, packed like cpt, loss on the assistant turns of chat; dpo: direct preference optimisation on whole preference pairs against the frozen base. $defs/formats: the record formats each stage trains on.
 */
export type Stage = "cpt" | "sft" | "dpo";
/**
 * The Hugging Face model_type values the trainer loads (AutoModelForCausalLM) and trains: decoders whose attention honours packed position_ids (transformers' create_causal_mask) and whose attention projections are q_proj, k_proj, v_proj, o_proj. The one list: the trainer (crucible_trainer.protocol.model_types) and `crucible base add` read it here.
 */
export type ModelType = "llama" | "mistral" | "qwen2" | "qwen3" | "olmo2";

/**
 * manifest.json inside a checkpoint directory. The checkpoint is valid only if every listed file exists with the listed size and SHA-256. The checkpoint's digest is the SHA-256 of manifest.json's bytes.
 */
export interface CheckpointManifest {
  protocol_version: 1;
  kind: "crucible-checkpoint";
  run_id?: string;
  /**
   * Training stage that produced the checkpoint (pre/mid/post for base-family builds).
   */
  stage: Stage | ("pre" | "mid" | "post");
  step: number;
  tokens: number;
  /**
   * True for the checkpoint written at the end of the run.
   */
  final?: boolean;
  /**
   * @minItems 1
   */
  files: {
    /**
     * Relative to the checkpoint directory, '/'-separated.
     */
    path: string;
    sha256: string;
    bytes: number;
  }[];
  /**
   * Digest of the checkpoint training started from; absent for a model trained from random initialisation.
   */
  parent_digest?: string;
  data_sources: {
    name: string;
    digest: string;
    share: number;
    /**
     * Tokens of this source trained on up to this checkpoint, cumulative over the run.
     */
    tokens_seen: number;
    epochs_started?: number;
  }[];
  /**
   * SHA-256 of the canonical JSON of the job spec (or build recipe) that produced the checkpoint.
   */
  spec_digest: string;
  code_version: string;
  library_versions: {
    python: string;
    torch: string;
    transformers: string;
    peft?: string;
    tokenizers?: string;
    safetensors?: string;
  };
  /**
   * The resolved configuration (the job spec with every default filled in), so the checkpoint explains itself.
   */
  config: {
    [k: string]: unknown | undefined;
  };
  created_at: string;
  /**
   * What the weights are, read from config.json and the safetensors headers (written by `crucible base add` for a Hugging Face model directory).
   */
  model?: {
    model_type: ModelType;
    architectures: string[];
    /**
     * Elements of every tensor in the safetensors files (a tied embedding stored once counts once); absent for pickled weights, which are never opened.
     */
    parameters?: number;
    /**
     * The tensor dtypes in the weight files.
     */
    dtypes?: string[];
    /**
     * Whether the tokenizer carries a chat template.
     */
    chat_template?: boolean;
  };
  /**
   * Where an imported base came from; the files listed above are the copies in the Crucible home.
   */
  source?: {
    kind: "huggingface";
    /**
     * The directory given to `crucible base add`.
     */
    path: string;
    /**
     * org/name, from a Hugging Face cache layout (models--org--name).
     */
    repo?: string;
    /**
     * The commit of the snapshot (cache layout) or of the directory's git checkout.
     */
    revision?: string;
  };
}
