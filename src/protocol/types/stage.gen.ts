/* Generated from protocol/stage.schema.json by `npm run gen:protocol`. Do not edit by
 * hand: change the schema and regenerate; test/protocol checks this file is current. */

/**
 * A training stage the trainer implements; the one list of them (the other schemas refer to it, the trainer reads it). cpt: continued pre-training, causal-LM loss on every token of packed text or chat; sft: supervised fine-tuning, packed like cpt, loss on the assistant turns of chat; dpo: direct preference optimisation on whole preference pairs against the frozen base. $defs/formats: the record formats each stage trains on.
 */
export type Stage = "cpt" | "sft" | "dpo";
