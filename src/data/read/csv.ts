import { invalid } from "../../core/errors.ts";
import type { SourcedRecord } from "../records.ts";
import { fileChunks } from "./chunks.ts";
import { type CsvRow, parseCsvRows } from "./csv-rows.ts";
import { assertUtf8Start, invalidUtf8At, notUtf8Error } from "./encoding.ts";
import type { ResolvedReadOptions } from "./options.ts";
import { byteControlAt, columnOf, placeIn, textFault, textFaultError } from "./text-validity.ts";

/**
 * Streams records from a CSV file with a header row, in batches (one per disk chunk); the `textColumn` (default `text`) of each
 * row becomes `{ text }`. Bytes go through a fatal `TextDecoder` in streaming mode, so invalid
 * UTF-8 is rejected with its line, column and byte offset; a UTF-16 or UTF-32 file is refused
 * from its first bytes. `line` is the physical line where the row starts
 * (the header is line 1). Blank lines are skipped. Rows longer than `maxLineBytes` UTF-16 code
 * units (never more than their UTF-8 byte length) are rejected. A control character in the text
 * column is refused (unless `allowControlChars`): chunks are searched for control bytes four at a
 * time, and only the rows of a chunk that has one are searched for the place.
 * @example for await (const batch of readCsv("faq.csv", resolveReadOptions({ textColumn: "answer" }))) f(batch);
 */
export async function* readCsv(path: string, options: ResolvedReadOptions): AsyncGenerator<SourcedRecord[]> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let buffered = "";
  let line = 1;
  let header: { column: number; width: number } | undefined;
  let index = 0;
  let offset = 0;
  /** Whether the rows parsed next may hold a control character. */
  let suspect = false;
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
      const text = row.fields[header.column] ?? "";
      if (suspect) {
        const fault = textFault(text, false);
        if (fault) {
          const at = placeIn(text, fault.index, row.line);
          throw textFaultError(
            `${path}:${at.line} column "${options.textColumn}"`,
            fault,
            `at character ${columnOf(text, fault.index)} of the value`,
          );
        }
      }
      records.push({ index, line: row.line, record: { text } });
      index += 1;
    }
    return records;
  };
  for await (const chunk of fileChunks(path, options.chunkBytes)) {
    if (offset === 0) assertUtf8Start(path, chunk);
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      throw badBytes(path, buffered, line, chunk, offset);
    }
    offset += chunk.length;
    suspect ||= !options.allowControlChars && byteControlAt(chunk) !== -1;
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
    // A control byte not in the rows taken is in the unparsed rest.
    suspect &&= buffered.length > 0;
    if (records.length > 0) yield records;
  }
  try {
    buffered += decoder.decode();
  } catch {
    throw notUtf8Error(path, line, 1, offset);
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

/**
 * The error for a chunk the streaming decoder refused: line, column and offset of its first bad
 * byte. `buffered` is the unparsed text before the chunk, starting on line `line`. Leading
 * continuation bytes finish a character begun in the previous chunk and are skipped; a sequence
 * broken across the chunk boundary is reported at the chunk's start.
 */
function badBytes(path: string, buffered: string, line: number, chunk: Uint8Array, offset: number) {
  let skip = 0;
  while (skip < 3 && skip < chunk.length && (chunk[skip]! & 0xc0) === 0x80) skip += 1;
  const bad = Math.max(skip, invalidUtf8At(chunk.subarray(skip)) + skip);
  const before = buffered + new TextDecoder().decode(chunk.subarray(skip, bad));
  const at = placeIn(before, before.length, line);
  return notUtf8Error(path, at.line, at.column, offset + bad);
}
