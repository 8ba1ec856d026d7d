/* Generated from protocol/generation-request.schema.json by `npm run gen:protocol`. Do not edit by
 * hand: change the schema and regenerate; test/protocol checks this file is current. */

export type PromptId = string;

/**
 * One request to the trainer's `generate-stream` session, one JSON object per line on its stdin: prompts to complete from the loaded checkpoint and how to decode them. The session answers each with generation events (generation-events.schema.json), in order.
 */
export interface GenerationRequest {
  protocol_version: 1;
  /**
   * Each exactly one of `messages` or `text`; decoded together in batches, and each prompt's output does not depend on what it is batched with.
   *
   * @minItems 1
   * @maxItems 4096
   */
  prompts: (ChatPrompt | TextPrompt)[];
  decoding: Decoding;
  /**
   * Emit a `token` event for each piece of text as it is decoded, besides each prompt's `completion`.
   */
  stream?: boolean;
  batch_size?: number;
}
/**
 * A conversation, rendered with the checkpoint's chat template and the assistant's turn appended.
 */
export interface ChatPrompt {
  id: PromptId;
  /**
   * @minItems 1
   */
  messages: {
    role: "system" | "user" | "assistant";
    content: string;
  }[];
}
/**
 * Plain text, tokenized as is (with the tokenizer's own special tokens) and continued.
 */
export interface TextPrompt {
  id: PromptId;
  text: string;
}
export interface Decoding {
  /**
   * 0 picks the most likely token (greedy; ties go to the lowest id); above 0 samples, the logits divided by it.
   */
  temperature: number;
  /**
   * Nucleus sampling: only the most likely tokens whose probabilities add up to at least this are drawn from (1 keeps every token).
   */
  top_p: number;
  /**
   * Most tokens generated per prompt, the stopping EOS included. Absent: 256, or what the model's positions leave after the prompt if fewer.
   */
  max_tokens?: number;
  /**
   * Prompt k of the request samples with its own generator seeded seed + k: the same request with the same seed gives the same output, however it is batched.
   */
  seed: number;
}
