/* Generated from protocol/job-spec.schema.json by `npm run gen:protocol`. Do not edit by
 * hand: change the schema and regenerate; test/protocol checks this file is current. */

/**
 * A training stage the trainer implements; the one list of them (the other schemas refer to it, the trainer reads it). cpt: continued pre-training, causal-LM loss on every token of packed text or chat; sft: supervised fine-tuning, packed like cpt, loss on the assistant turns of chat; dpo: direct preference optimisation on whole preference pairs against the frozen base. $defs/formats: the record formats each stage trains on.
 */
export type Stage = "cpt" | "sft" | "dpo";
export type Digest = string;

/**
 * One training job, written by the control plane and read by `python -m crucible_trainer run --spec job.json`. Paths are absolute or relative to the working directory of the trainer. Digests are `sha256:<64 hex>`.
 */
export interface JobSpec {
  protocol_version: 1;
  /**
   * Identifier of the run; echoed in every event.
   */
  run_id: string;
  stage: Stage;
  /**
   * The checkpoint training starts from: a local directory in Hugging Face format (config.json, safetensors weights, tokenizer).
   */
  base: {
    path: string;
    digest: Digest;
  };
  data: {
    /**
     * Shares are shares of the final token stream and must sum to 1 (within 1e-6). Each source's format must be one the stage trains on (protocol/stage.schema.json $defs/formats).
     *
     * @minItems 1
     */
    sources: Source[];
  };
  hyperparameters: Hyperparameters;
  seed: number;
  checkpoint: {
    /**
     * Write a checkpoint every N optimizer steps; the final step is always checkpointed.
     */
    every_steps: number;
    /**
     * Keep only the newest N intermediate checkpoints (the final one is always kept). Omit to keep all.
     */
    keep_last?: number;
  };
  /**
   * Continue from the latest valid checkpoint in output_dir when there is one.
   */
  resume?: boolean;
  output_dir: string;
  /**
   * Held-out loss, reported as `eval` events.
   */
  eval?: {
    every_steps: number;
    max_sequences?: number;
    /**
     * @minItems 1
     */
    sources: EvalSource[];
  };
  runtime?: {
    device?: "auto" | "cpu" | "cuda";
    /**
     * bf16 autocast on CUDA or on a CPU with native bf16 matrix instructions (AVX512-BF16, AMX; refused elsewhere); weights, optimizer state and checkpoints stay fp32.
     */
    precision?: "fp32" | "bf16";
    /**
     * torch intra-op threads; fixed so that runs are reproducible. Default: all cores.
     */
    threads?: number;
    deterministic?: boolean;
  };
  /**
   * Settings of the dpo stage (allowed only there).
   */
  dpo?: {
    /**
     * Strength of the pull towards the reference (the base checkpoint): lower lets the policy move further from it.
     */
    beta?: number;
  };
  /**
   * Reserved for a reinforcement fine-tuning stage; no stage of this trainer reads it (see protocol/stage.schema.json).
   */
  reward?: {
    endpoint: string;
    token: string;
  };
}
export interface Source {
  name: string;
  /**
   * JSONL file: one {"text": ...} per line for format text, one {"messages": [...]} (OpenAI chat) per line for format chat, one {"prompt": [...], "chosen": ..., "rejected": ...} per line for format preference (dpo only).
   */
  path: string;
  /**
   * SHA-256 of the file's bytes.
   */
  digest: string;
  share: number;
  format: "text" | "chat" | "preference";
}
export interface Hyperparameters {
  /**
   * Peak learning rate.
   */
  lr: number;
  /**
   * Final learning rate as a fraction of lr (cosine and linear schedules).
   */
  min_lr_ratio?: number;
  warmup_steps?: number;
  schedule?: "cosine" | "linear" | "constant";
  /**
   * How long to train: a number of optimizer steps, or a number of tokens (rounded up to whole steps).
   */
  budget:
    | {
        steps: number;
      }
    | {
        tokens: number;
      };
  /**
   * Packed sequences per micro-batch.
   */
  batch_size: number;
  /**
   * Micro-batches per optimizer step.
   */
  grad_accum?: number;
  seq_len: number;
  weight_decay?: number;
  /**
   * @minItems 2
   * @maxItems 2
   */
  betas?: number[];
  /**
   * Max global gradient norm.
   */
  grad_clip?: number;
  /**
   * Full fine-tuning, or LoRA adapters on the named modules.
   */
  adapter:
    | {
        kind: "full";
      }
    | {
        kind: "lora";
        r: number;
        alpha: number;
        dropout?: number;
        /**
         * @minItems 1
         */
        target_modules?: string[];
      };
}
export interface EvalSource {
  name: string;
  path: string;
  digest: Digest;
  format: "text" | "chat";
}
