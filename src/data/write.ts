import type { DataRecord } from "./records.ts";

/**
 * One JSON Lines line (with its `\n`) for a record; readers turn it back into the same record.
 * @example jsonlLine({ text: "hi" }) // '{"text":"hi"}\n'
 */
export function jsonlLine(record: DataRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/**
 * A CSV document with a single `text` column for text records, quoting every field (RFC 4180).
 * @example csvDocument([{ text: 'say "hi"' }]) // 'text\n"say ""hi"""\n'
 */
export function csvDocument(records: Iterable<{ text: string }>, column = "text"): string {
  const quote = (value: string) => `"${value.replaceAll('"', '""')}"`;
  let out = `${column}\n`;
  for (const record of records) out += `${quote(record.text)}\n`;
  return out;
}
