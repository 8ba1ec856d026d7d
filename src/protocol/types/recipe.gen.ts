/* Generated from protocol/recipe.schema.json by `npm run gen:protocol`. Do not edit by
 * hand: change the schema and regenerate; test/protocol checks this file is current. */

/**
 * A training recipe as users write it (YAML or JSON): one stage, or a pipeline of stages where each later stage starts from the previous stage's final checkpoint unless it names its own base. `crucible run start RECIPE` validates it, checks policy on its inputs and queues it. Hyperparameters, checkpoint cadence and runtime are the JobSpec's, field for field.
 */
export type Recipe = Single | Pipeline;
/**
 * A training stage the trainer implements; the one list of them (the other schemas refer to it, the trainer reads it). cpt: continued pre-training, causal-LM loss on every token of packed text or chat; sft: supervised fine-tuning, packed like cpt, loss on the assistant turns of chat; dpo: direct preference optimisation on whole preference pairs against the frozen base. $defs/formats: the record formats each stage trains on.
 */
export type Stage = "cpt" | "sft" | "dpo";
/**
 * A registered checkpoint: a base as FAMILY@STAGE (e.g. nano@mid), a checkpoint name (e.g. my-run-1/cpt/step-40) or a checkpoint id.
 */
export type Base = string;
/**
 * Sources and their shares of the final token stream; shares sum to 1. Each dataset version must be approved for the stage as its purpose, and hold records in a format the stage trains on (protocol/stage.schema.json $defs/formats; datasets hold text or chat records, so a recipe cannot name dpo yet).
 *
 * @minItems 1
 */
export type Data = Source[];

export interface Single {
  /**
   * Recipe format version; 1 when absent.
   */
  protocol_version?: 1;
  /**
   * Names the run (runs are numbered: NAME-1, NAME-2, ...) and its checkpoints.
   */
  name: string;
  description?: string;
  /**
   * The longest the run may take; its workload token expires then (at most 3 days).
   */
  max_duration?: string;
  stage: Stage;
  base: Base;
  data: Data;
  hyperparameters: Hyperparameters;
  /**
   * Seeds data order and dropout: the same seed, data and base give bitwise the same weights.
   */
  seed?: number;
  checkpoint: Checkpoint;
  runtime?: Runtime;
}
export interface Source {
  /**
   * A dataset version, pinned: NAME@vN.
   */
  dataset: string;
  share: number;
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
export interface Checkpoint {
  /**
   * Write a checkpoint every N optimizer steps; the final step is always checkpointed.
   */
  every_steps: number;
  /**
   * Keep only the newest N intermediate checkpoints (the final one is always kept). Omit to keep all.
   */
  keep_last?: number;
}
export interface Runtime {
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
}
export interface Pipeline {
  /**
   * Recipe format version; 1 when absent.
   */
  protocol_version?: 1;
  /**
   * Names the run (runs are numbered: NAME-1, NAME-2, ...) and its checkpoints.
   */
  name: string;
  description?: string;
  /**
   * The longest the run may take; its workload token expires then (at most 3 days).
   */
  max_duration?: string;
  /**
   * Run in order; stage N+1 starts from stage N's final checkpoint unless it names a base.
   *
   * @minItems 1
   * @maxItems 8
   */
  stages: PipelineStage[];
}
export interface PipelineStage {
  stage: Stage;
  base?: Base;
  data: Data;
  hyperparameters: Hyperparameters;
  /**
   * Seeds data order and dropout: the same seed, data and base give bitwise the same weights.
   */
  seed?: number;
  checkpoint: Checkpoint;
  runtime?: Runtime;
}
