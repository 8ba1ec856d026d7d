import { type CrucibleError, invalid } from "../../core/errors.ts";
import { normaliseRecord } from "../records.ts";
import { jsonColumn, mayHoldFault, recordTextFault } from "./jsonl-text.ts";
import { fileLines } from "./lines.ts";
import type { ReadRecord, ResolvedReadOptions } from "./options.ts";
import { byteControlAt, codePointName, columnOf, controlAt, textFaultError } from "./text-validity.ts";

/**
 * Streams records from a JSON Lines file, one batch per disk chunk: one `{"text": ...}` or
 * `{"messages": [...]}` object per line. Blank lines are skipped; `index` counts records, `line` is the physical line.
 * Each record carries its source bytes, from which the digest copies its canonical line where it
 * can (see `canonicalJsonlInto`). A string that holds a control character or a lone surrogate
 * (both reach JSON only as escapes) is refused with its line, column and field.
 * @example for await (const batch of readJsonl("chat.jsonl", resolveReadOptions())) for (const r of batch) f(r.record);
 */
export async function* readJsonl(path: string, options: ResolvedReadOptions): AsyncGenerator<ReadRecord[]> {
  let index = 0;
  const lines = fileLines(path, { ...options, refuseControls: false });
  for await (const batch of lines) {
    const records: ReadRecord[] = [];
    for (const { line, text, raw } of batch) {
      if (isBlank(text)) continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw notJson(path, line, text, raw, err, options.allowControlChars);
      }
      const record = normaliseRecord(value, { file: path, line });
      if (mayHoldFault(text)) {
        const found = recordTextFault(record, options.allowControlChars);
        if (found) {
          const { field, value: string, fault } = found;
          const column = jsonColumn(text, string, fault.index);
          throw textFaultError(
            `${path}:${line}${column ? `:${column}` : ""} ${field}`,
            fault,
            `at character ${columnOf(string, fault.index)} of ${field}`,
          );
        }
      }
      records.push({ index, line, record, jsonlSource: raw });
      index += 1;
    }
    if (records.length > 0) yield records;
  }
}

/** The error for a line JSON.parse refused: a raw control character is named as such. */
function notJson(
  path: string,
  line: number,
  text: string,
  raw: Uint8Array,
  err: unknown,
  allowControls: boolean,
): CrucibleError {
  if (byteControlAt(raw) !== -1) {
    const index = controlAt(text);
    const code = text.charCodeAt(index);
    const field = `${path}:${line}:${columnOf(text, index)}`;
    if (!allowControls) return textFaultError(field, { index, code, kind: "control" }, "");
    return invalid(
      field,
      "line is not valid JSON: it holds a raw control character, which JSON allows only escaped",
      codePointName(code),
      `Write it as the escape \\u${code.toString(16).padStart(4, "0")}`,
    );
  }
  const reason = err instanceof Error ? err.message : String(err);
  return invalid(
    `${path}:${line}`,
    `line is not valid JSON (${reason})`,
    preview(text),
    "Write exactly one JSON object per line, with no trailing commas or comments",
  );
}

function isBlank(text: string): boolean {
  return text.length === 0 || text.trim().length === 0;
}

function preview(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
