import { invalid } from "../../core/errors.ts";
import { normaliseRecord } from "../records.ts";
import { fileLines } from "./lines.ts";
import type { ReadRecord, ResolvedReadOptions } from "./options.ts";

/**
 * Streams records from a JSON Lines file, one batch per disk chunk: one `{"text": ...}` or
 * `{"messages": [...]}` object per line. Blank lines are skipped; `index` counts records, `line` is the physical line.
 * Each record carries its source bytes, from which the digest copies its canonical line where it
 * can (see `canonicalJsonlInto`).
 * @example for await (const batch of readJsonl("chat.jsonl", resolveReadOptions())) for (const r of batch) f(r.record);
 */
export async function* readJsonl(path: string, options: ResolvedReadOptions): AsyncGenerator<ReadRecord[]> {
  let index = 0;
  for await (const batch of fileLines(path, options.chunkBytes, options.maxLineBytes)) {
    const records: ReadRecord[] = [];
    for (const { line, text, raw } of batch) {
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
      records.push({ index, line, record: normaliseRecord(value, { file: path, line }), jsonlSource: raw });
      index += 1;
    }
    if (records.length > 0) yield records;
  }
}

function isBlank(text: string): boolean {
  return text.length === 0 || text.trim().length === 0;
}

function preview(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
