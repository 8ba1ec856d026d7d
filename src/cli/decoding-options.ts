import { randomInt } from "node:crypto";
import type { Command } from "commander";
import { invalid } from "../core/errors.ts";
import type { Decoding } from "../protocol/types/generation-request.gen.ts";

/** The decoding flags of `generate` and `chat` as commander hands them over (strings). */
export interface DecodingFlags {
  temperature: string;
  topP: string;
  maxTokens?: string;
  seed?: string;
  device: string;
  threads?: string;
}

/** What the flags say: the protocol's decoding parameters and where the trainer runs. */
export interface DecodingChoice {
  decoding: Decoding;
  device: "auto" | "cpu" | "cuda";
  threads?: number;
}

const DEVICES = ["auto", "cpu", "cuda"] as const;
const MAX_SEED = Number.MAX_SAFE_INTEGER;

/**
 * Adds `--temperature`, `--top-p`, `--max-tokens`, `--seed`, `--device` and `--threads`.
 * @example decodingOptions(program.command("generate"));
 */
export function decodingOptions(command: Command): Command {
  return command
    .option("--temperature <t>", "0 = greedy (the likeliest token); up to 2, higher is more random", "0.7")
    .option(
      "--top-p <p>",
      "sample only among the likeliest tokens that make up this much probability",
      "0.95",
    )
    .option("--max-tokens <n>", "most tokens per answer (default: 256, or what the model's context leaves)")
    .option(
      "--seed <n>",
      "the same seed, prompt and flags give the same output (default: drawn and shown; 0 when greedy)",
    )
    .option("--device <device>", "auto, cpu or cuda", "auto")
    .option("--threads <n>", "CPU threads of the trainer (default: torch's choice)");
}

/**
 * Checks the decoding flags, each error naming the flag, the value and the fix; a seed left out
 * is drawn here, so it can be shown and recorded.
 * @example parseDecoding({ temperature: "0", topP: "1", device: "cpu" }) // { decoding: { temperature: 0, top_p: 1, seed: … }, device: "cpu" }
 */
export function parseDecoding(flags: DecodingFlags): DecodingChoice {
  const temperature = Number(flags.temperature);
  if (flags.temperature.trim() === "" || !(temperature >= 0 && temperature <= 2))
    throw invalid(
      "--temperature",
      "must be a number from 0 to 2",
      flags.temperature,
      "Use 0 for greedy decoding, or e.g. --temperature 0.7 to sample",
    );
  const topP = Number(flags.topP);
  if (flags.topP.trim() === "" || !(topP > 0 && topP <= 1))
    throw invalid(
      "--top-p",
      "must be a number above 0 and at most 1",
      flags.topP,
      "Use e.g. --top-p 0.9, or 1 to sample from every token",
    );
  const maxTokens = flags.maxTokens === undefined ? undefined : wholeNumber(flags.maxTokens);
  if (maxTokens !== undefined && maxTokens < 1)
    throw invalid(
      "--max-tokens",
      "must be a whole number of at least 1",
      flags.maxTokens,
      "Use e.g. --max-tokens 64",
    );
  // greedy decoding draws nothing: its seed is 0 unless one is given
  const seed =
    flags.seed !== undefined ? wholeNumber(flags.seed) : temperature === 0 ? 0 : randomInt(0, 2 ** 31);
  if (seed < 0 || seed > MAX_SEED)
    throw invalid("--seed", `must be a whole number from 0 to ${MAX_SEED}`, flags.seed, "Use e.g. --seed 42");
  if (!(DEVICES as readonly string[]).includes(flags.device))
    throw invalid(
      "--device",
      "is not a device the trainer knows",
      flags.device,
      `Use one of ${DEVICES.join(", ")}`,
    );
  const threads = flags.threads === undefined ? undefined : wholeNumber(flags.threads);
  if (threads !== undefined && threads < 1)
    throw invalid("--threads", "must be a whole number of at least 1", flags.threads, "Use e.g. --threads 1");
  return {
    decoding: {
      temperature,
      top_p: topP,
      seed,
      ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
    },
    device: flags.device as DecodingChoice["device"],
    ...(threads !== undefined ? { threads } : {}),
  };
}

/** The number a flag spells, or -1 when it is not a plain whole number (so a range check refuses it). */
function wholeNumber(text: string): number {
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : -1;
}
