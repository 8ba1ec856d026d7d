import { createInterface } from "node:readline";
import type { Command } from "commander";
import { CrucibleError, invalid } from "../../core/errors.ts";
import type { ChatPrompt, Decoding } from "../../protocol/types/generation-request.gen.ts";
import type { GenerationSession } from "../../runners/generation-session.ts";
import type { CommandContext, RunAction } from "../command.ts";
import { type DecodingFlags, decodingOptions, parseDecoding } from "../decoding-options.ts";
import { openGeneration, streamTo } from "../generation.ts";

type Message = ChatPrompt["messages"][number];
type ChatOptions = DecodingFlags & { system?: string; workspace?: string };

/**
 * `crucible chat CHECKPOINT`: a conversation through the checkpoint's chat template, read from
 * stdin line by line (a terminal or a pipe), each reply streamed to stdout. `/reset` starts the
 * conversation afresh, `/exit` (or the end of input) ends it. Turn n samples with seed + n.
 */
export function registerChat(chat: Command, run: RunAction): void {
  decodingOptions(
    chat
      .argument("<checkpoint>", "name (nano@post, RUN/STAGE/step-N) or id")
      .option("--system <text>", "the system message the conversation starts with")
      .option("--workspace <name>", "workspace (default: your only one)"),
  ).action(run(async (ctx, ref: string, options: ChatOptions) => converseWith(ctx, ref, options)));
}

async function converseWith(ctx: CommandContext, ref: string, options: ChatOptions): Promise<void> {
  const stdin = ctx.out.io.stdin;
  if (!stdin)
    throw new CrucibleError("failed_precondition", "chat reads its turns from stdin, and there is none");
  const choice = parseDecoding(options);
  const use = {
    mode: "chat" as const,
    decoding: { ...choice.decoding, max_tokens: choice.decoding.max_tokens ?? null },
  };
  const { view, session } = await openGeneration(ctx, { ref, workspace: options.workspace, use, choice });
  try {
    if (!session.ready.chat_template)
      throw invalid(
        "checkpoint",
        "has no chat template to hold a conversation with",
        view.name,
        `Try it with \`crucible generate ${view.name} --raw --prompt "…"\`, or add a chat template to its tokenizer`,
      );
    if (!ctx.out.json) ctx.out.info("type a message; /reset starts afresh, /exit ends");
    await converse(ctx, session, stdin, choice.decoding, options.system);
  } finally {
    await session.close();
  }
}

async function converse(
  ctx: CommandContext,
  session: GenerationSession,
  stdin: NodeJS.ReadableStream,
  decoding: Decoding,
  system: string | undefined,
): Promise<void> {
  const fresh = (): Message[] => (system ? [{ role: "system", content: system }] : []);
  let history = fresh();
  let turn = 0;
  const say = (text: string) => ctx.out.io.stdout.write(text);
  const prompt = () =>
    process.stdin.isTTY && stdin === process.stdin ? ctx.out.io.stderr.write("> ") : true;
  prompt();
  for await (const line of createInterface({ input: stdin, crlfDelay: Number.POSITIVE_INFINITY })) {
    const text = line.trim();
    if (text === "/exit") break;
    if (text === "/reset") {
      history = fresh();
      ctx.out.info("(a new conversation)");
    } else if (text !== "") {
      const messages: Message[] = [...history, { role: "user", content: text }];
      try {
        const [reply] = await session.generate(
          {
            protocol_version: 1,
            prompts: [{ id: `turn-${turn + 1}`, messages }],
            decoding: { ...decoding, seed: decoding.seed + turn },
            stream: !ctx.out.json,
          },
          streamTo(say),
        );
        history = [...messages, { role: "assistant", content: reply!.text }];
        if (ctx.out.json) {
          ctx.out.wroteResult = true;
          say(
            `${JSON.stringify({ turn: turn + 1, reply: reply!.text, finish_reason: reply!.finish_reason, tokens: reply!.tokens })}\n`,
          );
        } else say("\n");
      } catch (err) {
        // a turn the trainer refuses (the conversation outgrew the model) leaves the session usable
        if (!(err instanceof CrucibleError) || err.code !== "invalid_argument") throw err;
        ctx.out.info(`error: ${err.message}; /reset starts afresh`);
      }
      turn++;
    }
    prompt();
  }
}
