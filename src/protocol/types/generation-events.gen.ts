/* Generated from protocol/generation-events.schema.json by `npm run gen:protocol`. Do not edit by
 * hand: change the schema and regenerate; test/protocol checks this file is current. */

/**
 * One JSON object per line on the stdout of the trainer's `generate-stream` session; `type` discriminates. `ready` once the checkpoint is loaded; then for each request (generation-request.schema.json), in order: `token` events (when it asked to stream), one `completion` per prompt, and `done` — or `failed` for a request it refused, after which the session reads the next one. A `failed` before `ready` ends the session. Nothing else is ever written to stdout.
 */
export type GenerationEvent = Ready | Token | Completion | Done | Failed;
export type ProtocolVersion = 1;
export type PromptId = string;

export interface Ready {
  protocol_version: ProtocolVersion;
  type: "ready";
  model_type: string;
  /**
   * Prompt and generated tokens together never exceed this.
   */
  max_positions: number;
  /**
   * Whether the checkpoint's tokenizer has a chat template (needed by `messages` prompts).
   */
  chat_template: boolean;
  device: string;
  load_s: number;
}
export interface Token {
  protocol_version: ProtocolVersion;
  type: "token";
  prompt: PromptId;
  /**
   * The text decoded since this prompt's previous token event; concatenated, they are the completion before trimming.
   */
  text: string;
}
export interface Completion {
  protocol_version: ProtocolVersion;
  type: "completion";
  prompt: PromptId;
  /**
   * The generated text, special tokens left out, leading and trailing white space trimmed.
   */
  text: string;
  prompt_tokens: number;
  /**
   * Tokens generated, the stopping EOS included.
   */
  tokens: number;
  /**
   * stop: the model emitted EOS; length: max_tokens ran out.
   */
  finish_reason: "stop" | "length";
}
export interface Done {
  protocol_version: ProtocolVersion;
  type: "done";
  completions: number;
  /**
   * Tokens generated for the request, all prompts together.
   */
  tokens: number;
  wall_s: number;
}
export interface Failed {
  protocol_version: ProtocolVersion;
  type: "failed";
  code: "bad_input" | "checkpoint_error" | "out_of_memory" | "internal";
  /**
   * What went wrong: the field, the value and the fix.
   */
  reason: string;
}
