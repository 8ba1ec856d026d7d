/* Generated from protocol/checkpoint-manifest.schema.json by `npm run gen:protocol`. Do not edit by
 * hand: change the schema and regenerate; test/protocol checks this file is current. */

/**
 * A training stage the trainer implements; the one list of them (the other schemas refer to it, the trainer reads it). cpt: continued pre-training, causal-LM loss on every token of packed text or chat; sft: supervised fine-tuning, packed like cpt, loss on the assistant turns of chat; dpo: direct preference optimisation on whole preference pairs against the frozen base. $defs/formats: the record formats each stage trains on.
 */
export type Stage = "cpt" | "sft" | "dpo";

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
}
