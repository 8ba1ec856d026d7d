import { invalid } from "../../core/errors.ts";
import { normaliseRecord, type SourcedRecord } from "../records.ts";
import { fileLines } from "./lines.ts";
import type { ResolvedReadOptions } from "./options.ts";

/**
 * Streams records from a JSON Lines file: one `{"text": ...}` or `{"messages": [...]}` object
 * per line. Blank lines are skipped; `index` counts records, `line` is the physical line.
 * @example for await (const r of readJsonl("chat.jsonl", resolveReadOptions())) console.log(r.line, r.record);
 */
export async function* readJsonl(path: string, options: ResolvedReadOptions): AsyncGenerator<SourcedRecord> {
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
      yield { index, line, record: normaliseRecord(value, { file: path, line }) };
      index += 1;
    }
  }
}

function isBlank(text: string): boolean {
  return text.length === 0 || text.trim().length === 0;
}

function preview(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
