import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { invalid } from "../../core/errors.ts";
import type { Completion } from "../../protocol/types/generation-events.gen.ts";
import type { ChatPrompt, TextPrompt } from "../../protocol/types/generation-request.gen.ts";
import type { CommandContext, RunAction } from "../command.ts";
import { type DecodingFlags, decodingOptions, parseDecoding } from "../decoding-options.ts";
import { openGeneration, streamTo } from "../generation.ts";
import { type PromptShape, promptOf, readPromptFile } from "../prompt-file.ts";

type GenerateOptions = DecodingFlags &
  PromptShape & { prompt?: string; file?: string; out?: string; workspace?: string };

/** `crucible generate CHECKPOINT`: complete prompts with a checkpoint (chat.ts is `crucible chat`). */
export function registerGenerate(generate: Command, run: RunAction): void {
  decodingOptions(
    generate
      .argument("<checkpoint>", "name (nano@post, RUN/STAGE/step-N) or id")
      .option("--prompt <text>", "one prompt, sent as a user message through the checkpoint's chat template")
      .option(
        "--file <path>",
        'JSONL, one {"prompt": …} or {"messages": […]} per line (optional "id"), batched',
      )
      .option("--system <text>", "a system message before each prompt")
      .option("--raw", "send prompts as plain text to continue, without the chat template")
      .option("--out <path>", "write the completions here as JSON lines")
      .option("--workspace <name>", "workspace (default: your only one)"),
  ).action(run(async (ctx, ref: string, options: GenerateOptions) => generateFrom(ctx, ref, options)));
}

async function generateFrom(ctx: CommandContext, ref: string, options: GenerateOptions): Promise<void> {
  if ((options.prompt === undefined) === (options.file === undefined))
    throw invalid(
      "--prompt",
      "give either --prompt or --file",
      options.file ?? null,
      'Pass --prompt "…" for one prompt, or --file prompts.jsonl for several',
    );
  const choice = parseDecoding(options);
  const prompts: (ChatPrompt | TextPrompt)[] =
    options.prompt !== undefined
      ? [promptOf("1", options.prompt, options)]
      : readPromptFile(options.file!, options);
  const { decoding } = choice;
  const use = {
    mode: "generate" as const,
    decoding: { ...decoding, max_tokens: decoding.max_tokens ?? null },
    prompts: prompts.length,
  };
  const { session } = await openGeneration(ctx, { ref, workspace: options.workspace, use, choice });
  const lines = !ctx.out.json && !options.out;
  const streamed = lines && prompts.length === 1;
  const say = (text: string) => ctx.out.io.stdout.write(text);
  let completions: Completion[];
  try {
    completions = await session.generate(
      { protocol_version: 1, prompts, decoding, stream: streamed },
      streamTo(say),
    );
  } finally {
    await session.close();
  }
  const records = completions.map((c, k) => ({
    id: c.prompt,
    completion: c.text,
    finish_reason: c.finish_reason,
    prompt_tokens: c.prompt_tokens,
    tokens: c.tokens,
    seed: decoding.seed + k,
  }));
  const jsonl = records.map((r) => `${JSON.stringify(r)}\n`).join("");
  if (options.out) {
    writeFileSync(options.out, jsonl);
    ctx.out.info(`wrote ${records.length} completion(s) to ${options.out}`);
  }
  if (ctx.out.json) {
    ctx.out.wroteResult = true;
    say(jsonl);
  } else if (streamed) say("\n");
  else if (lines) for (const r of records) say(`── ${r.id}\n${r.completion}\n`);
  const cut = records.filter((r) => r.finish_reason === "length").length;
  if (cut > 0 && !ctx.out.json)
    ctx.out.info(`${cut} of ${records.length} stopped at the token limit (--max-tokens raises it)`);
}
