import { readFileSync } from "node:fs";
import { CrucibleError, invalid } from "../core/errors.ts";
import type { ChatPrompt, TextPrompt } from "../protocol/types/generation-request.gen.ts";

type Message = ChatPrompt["messages"][number];
const ROLES = ["system", "user", "assistant"];
const EXAMPLE = '{"prompt": "..."} or {"messages": [{"role": "user", "content": "..."}]}';

/** How a prompt's text becomes a request prompt: one user turn (after `system`), or raw text. */
export interface PromptShape {
  raw: boolean;
  system?: string;
}

/**
 * A prompt text as the trainer gets it: with `raw`, plain text to continue; otherwise one user
 * message (after the system message, if any) rendered with the checkpoint's chat template.
 * @example promptOf("p1", "What is 2 plus 3?", { raw: false }) // { id: "p1", messages: [{ role: "user", content: "What is 2 plus 3?" }] }
 */
export function promptOf(id: string, text: string, shape: PromptShape): ChatPrompt | TextPrompt {
  if (shape.raw) return { id, text };
  const system: Message[] = shape.system ? [{ role: "system", content: shape.system }] : [];
  return { id, messages: [...system, { role: "user", content: text }] };
}

/**
 * The prompts of a `--file`: one JSON object per line with `prompt` (text) or `messages` (a
 * conversation), and an optional string `id` (default: the line number). Errors name the file,
 * the line and the field.
 * @example readPromptFile("prompts.jsonl", { raw: false })
 */
export function readPromptFile(path: string, shape: PromptShape): (ChatPrompt | TextPrompt)[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CrucibleError("not_found", `cannot read ${path}: ${(err as Error).message}`, {
      field: "--file",
      value: path,
      fix: "Give a JSONL file of prompts, one object per line",
    });
  }
  const prompts: (ChatPrompt | TextPrompt)[] = [];
  const seen = new Set<string>();
  for (const [i, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    const where = `--file ${path} line ${i + 1}`;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(line);
    } catch (err) {
      throw invalid(
        where,
        `is not JSON (${(err as Error).message})`,
        line.slice(0, 80),
        `Write one object per line: ${EXAMPLE}`,
      );
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc))
      throw invalid(
        where,
        "is not a JSON object",
        line.slice(0, 80),
        `Write one object per line: ${EXAMPLE}`,
      );
    const id = doc.id === undefined ? String(i + 1) : doc.id;
    if (typeof id !== "string" || id === "" || id.length > 200 || seen.has(id))
      throw invalid(
        `${where}: id`,
        "must be a string of 1 to 200 characters, unique in the file",
        id,
        "Give each line its own id, or leave id out",
      );
    seen.add(id);
    prompts.push(linePrompt(id, doc, where, shape));
  }
  if (prompts.length === 0)
    throw invalid("--file", "holds no prompts", path, `Write one object per line: ${EXAMPLE}`);
  return prompts;
}

function linePrompt(
  id: string,
  doc: Record<string, unknown>,
  where: string,
  shape: PromptShape,
): ChatPrompt | TextPrompt {
  const has = ["prompt", "messages"].filter((k) => doc[k] !== undefined);
  if (has.length !== 1)
    throw invalid(
      where,
      `has ${has.length === 0 ? "neither prompt nor messages" : "both prompt and messages"}`,
      Object.keys(doc),
      `Give exactly one: ${EXAMPLE}`,
    );
  if (doc.prompt !== undefined) {
    if (typeof doc.prompt !== "string" || doc.prompt === "")
      throw invalid(
        `${where}: prompt`,
        "must be a non-empty string",
        doc.prompt,
        'Write e.g. {"prompt": "What is 2 plus 3?"}',
      );
    return promptOf(id, doc.prompt, shape);
  }
  const messages = doc.messages;
  const ok =
    Array.isArray(messages) &&
    messages.length > 0 &&
    messages.every(
      (m) =>
        typeof m === "object" &&
        m !== null &&
        ROLES.includes(m.role) &&
        typeof m.content === "string" &&
        Object.keys(m).length === 2,
    );
  if (!ok)
    throw invalid(
      `${where}: messages`,
      `must be a non-empty list of {role, content} with role one of ${ROLES.join(", ")}`,
      messages,
      `Write e.g. ${EXAMPLE.split(" or ")[1]}`,
    );
  return { id, messages: messages as Message[] };
}
