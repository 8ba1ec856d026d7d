/* Generated from protocol/events.schema.json by `npm run gen:protocol`. Do not edit by
 * hand: change the schema and regenerate; test/protocol checks this file is current. */

/**
 * One JSON object per line on the trainer's stdout; `type` discriminates. Nothing else is ever written to stdout.
 */
export type TrainerEvent = Started | Progress | Checkpoint | Eval | Warning | Finished | Failed;
export type ProtocolVersion = 1;
export type RunId = string;
/**
 * UTC time the event was emitted, RFC 3339.
 */
export type Time = string;
/**
 * A training stage the trainer implements; the one list of them (the other schemas refer to it, the trainer reads it). cpt: continued pre-training, causal-LM loss on every token of packed text or chat; sft: supervised fine-tuning, packed like cpt, loss on the assistant turns of chat; dpo: direct preference optimisation on whole preference pairs against the frozen base. $defs/formats: the record formats each stage trains on.
 */
export type Stage = "cpt" | "sft" | "dpo";
export type Step = number;
export type Digest = string;

export interface Started {
  protocol_version: ProtocolVersion;
  type: "started";
  run_id: RunId;
  time: Time;
  stage: Stage;
  /**
   * First step to run; > 0 when resumed.
   */
  step: number;
  total_steps: number;
  tokens_per_step: number;
  parameters: number;
  trainable_parameters: number;
  device: string;
  /**
   * Checkpoint directory the run resumed from; absent on a fresh start.
   */
  resumed_from?: string;
  /**
   * Processes training data-parallel under torchrun, each on a share of every step's global batch; absent for one process.
   */
  world_size?: number;
}
export interface Progress {
  protocol_version: ProtocolVersion;
  type: "progress";
  run_id: RunId;
  time: Time;
  step: Step;
  total_steps: number;
  /**
   * Tokens trained on so far (all sources).
   */
  tokens: number;
  loss: number;
  lr: number;
  grad_norm?: number;
  tokens_per_s: number;
  tokens_by_source: TokensBySource;
  /**
   * Stage-specific figures of the step, e.g. dpo's reward_accuracy and reward_margin (means over the step's pairs).
   */
  metrics?: {
    [k: string]: number | undefined;
  };
}
/**
 * Tokens of each data source seen so far (source name -> count).
 */
export interface TokensBySource {
  [k: string]: number | undefined;
}
export interface Checkpoint {
  protocol_version: ProtocolVersion;
  type: "checkpoint";
  run_id: RunId;
  time: Time;
  step: Step;
  path: string;
  /**
   * SHA-256 of the checkpoint's manifest.json bytes; the checkpoint's identity.
   */
  manifest_digest: string;
  final?: boolean;
  tokens_by_source: TokensBySource;
}
export interface Eval {
  protocol_version: ProtocolVersion;
  type: "eval";
  run_id: RunId;
  time: Time;
  step: Step;
  /**
   * Mean held-out loss per token for each eval source.
   */
  loss_by_source: {
    [k: string]: number | undefined;
  };
}
export interface Warning {
  protocol_version: ProtocolVersion;
  type: "warning";
  run_id: RunId;
  time: Time;
  code: "partial_checkpoint_removed" | "invalid_checkpoint_skipped" | "source_new_epoch" | "other";
  message: string;
}
export interface Finished {
  protocol_version: ProtocolVersion;
  type: "finished";
  run_id: RunId;
  time: Time;
  step: Step;
  tokens: number;
  final_loss?: number;
  checkpoint_path: string;
  manifest_digest: Digest;
  tokens_by_source: TokensBySource;
  /**
   * Seconds this process ran (not counting earlier, interrupted attempts).
   */
  wall_s: number;
}
export interface Failed {
  protocol_version: ProtocolVersion;
  type: "failed";
  run_id: RunId;
  time: Time;
  code:
    | "bad_input"
    | "data_error"
    | "base_checkpoint_error"
    | "checkpoint_error"
    | "out_of_memory"
    | "nonfinite_loss"
    | "internal";
  /**
   * What went wrong and what to do about it.
   */
  reason: string;
  step?: Step;
}
