import { invalid } from "../../core/errors.ts";
import { normaliseRecord } from "../records.ts";
import { canonicalTextLine } from "./canonical-line.ts";
import { fileLines } from "./lines.ts";
import type { ReadRecord, ResolvedReadOptions } from "./options.ts";

/**
 * Streams records from a JSON Lines file: one `{"text": ...}` or `{"messages": [...]}` object
 * per line. Blank lines are skipped; `index` counts records, `line` is the physical line.
 * Single-field text lines carry their canonical line for the digest (see `canonicalTextLine`).
 * @example for await (const r of readJsonl("chat.jsonl", resolveReadOptions())) console.log(r.line, r.record);
 */
export async function* readJsonl(path: string, options: ResolvedReadOptions): AsyncGenerator<ReadRecord> {
  let index = 0;
  for await (const batch of fileLines(path, options.chunkBytes, options.maxLineBytes)) {
    for (const { line, text } of batch) {
      if (isBlank(text)) continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw invalid(
          `${path}:${line}`,
          `line is not valid JSON (${reason})`,
          preview(text),
          "Write exactly one JSON object per line, with no trailing commas or comments",
        );
      }
      const record = normaliseRecord(value, { file: path, line });
      const canonicalLine = "text" in record && isSingleKey(value) ? canonicalTextLine(text) : undefined;
      yield canonicalLine ? { index, line, record, canonicalLine } : { index, line, record };
      index += 1;
    }
  }
}

function isSingleKey(value: unknown): boolean {
  let keys = 0;
  for (const _ in value as object) keys += 1;
  return keys === 1;
}

function isBlank(text: string): boolean {
  return text.length === 0 || text.trim().length === 0;
}

function preview(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
