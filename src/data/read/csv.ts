import { invalid } from "../../core/errors.ts";
import type { SourcedRecord } from "../records.ts";
import { fileChunks } from "./chunks.ts";
import { type CsvRow, parseCsvRows } from "./csv-rows.ts";
import type { ResolvedReadOptions } from "./options.ts";

/**
 * Streams records from a CSV file with a header row, in batches (one per disk chunk); the `textColumn` (default `text`) of each
 * row becomes `{ text }`. Bytes go through a fatal `TextDecoder` in streaming mode, so invalid
 * UTF-8 is rejected with the line it is on. `line` is the physical line where the row starts
 * (the header is line 1). Blank lines are skipped. Rows longer than `maxLineBytes` UTF-16 code
 * units (never more than their UTF-8 byte length) are rejected.
 * @example for await (const batch of readCsv("faq.csv", resolveReadOptions({ textColumn: "answer" }))) f(batch);
 */
export async function* readCsv(path: string, options: ResolvedReadOptions): AsyncGenerator<SourcedRecord[]> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let buffered = "";
  let line = 1;
  let header: { column: number; width: number } | undefined;
  let index = 0;
  const take = (rows: CsvRow[]): SourcedRecord[] => {
    const records: SourcedRecord[] = [];
    for (const row of rows) {
      if (!header) {
        header = findColumn(row, options.textColumn, path);
        continue;
      }
      if (row.fields.length !== header.width) {
        throw invalid(
          `${path}:${row.line}`,
          `row has ${row.fields.length} fields but the header has ${header.width}`,
          row.fields.length,
          "Give every row as many fields as the header; quote fields that contain commas",
        );
      }
      records.push({ index, line: row.line, record: { text: row.fields[header.column] ?? "" } });
      index += 1;
    }
    return records;
  };
  for await (const chunk of fileChunks(path, options.chunkBytes)) {
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      throw invalid(
        `${path}:${line + linesBeforeBadByte(buffered, chunk)}`,
        "file is not valid UTF-8",
        "invalid UTF-8",
        "Re-encode the file as UTF-8",
      );
    }
    buffered += text;
    const parsed = parseCsvRows(buffered, line, false, path);
    buffered = buffered.slice(parsed.consumed);
    line = parsed.nextLine;
    if (buffered.length > options.maxLineBytes) {
      throw invalid(
        `${path}:${line}`,
        `row is longer than the limit of ${options.maxLineBytes} characters`,
        `${buffered.length}+ characters`,
        "Split the record, or raise maxLineBytes if such long rows are intended",
      );
    }
    const records = take(parsed.rows);
    if (records.length > 0) yield records;
  }
  try {
    buffered += decoder.decode();
  } catch {
    throw invalid(
      `${path}:${line}`,
      "file ends in the middle of a UTF-8 character",
      "invalid UTF-8",
      "Re-encode the file as UTF-8",
    );
  }
  const last = take(parseCsvRows(buffered, line, true, path).rows);
  if (last.length > 0) yield last;
  if (!header)
    throw invalid(
      path,
      "CSV file has no header row",
      "no rows",
      `Start the file with a header row naming a "${options.textColumn}" column`,
    );
}

function findColumn(row: CsvRow, name: string, path: string): { column: number; width: number } {
  const names = row.fields.map((f, i) => (i === 0 ? f.replace(/^\uFEFF/, "") : f).trim());
  const column = names.indexOf(name);
  if (column === -1) {
    throw invalid(
      `${path}:${row.line} column "${name}"`,
      `header has no "${name}" column`,
      names,
      `Name the text column "${name}", or pass textColumn with one of the header names`,
    );
  }
  return { column, width: names.length };
}

/** Lines between the parsed position and the first undecodable byte, for the error message. */
function linesBeforeBadByte(buffered: string, chunk: Uint8Array): number {
  const lenient = new TextDecoder("utf-8").decode(chunk);
  const bad = lenient.indexOf("\uFFFD");
  const before = buffered + (bad === -1 ? "" : lenient.slice(0, bad));
  return before.split("\n").length - 1;
}
