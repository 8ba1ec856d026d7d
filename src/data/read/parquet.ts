import { open } from "node:fs/promises";
import {
  type ColumnMetaData,
  type FileMetaData,
  parquetMetadataAsync,
  parquetReadObjects,
  parquetSchema,
  type RowGroup,
} from "hyparquet";
import { CrucibleError, invalid } from "../../core/errors.ts";
import type { SourcedRecord } from "../records.ts";
import { fileSize } from "./chunks.ts";
import type { ResolvedReadOptions } from "./options.ts";
import { PARQUET_DECOMPRESSORS } from "./parquet-codecs.ts";
import { changed, damaged, openParquet } from "./parquet-file.ts";
import { pageProblem } from "./parquet-pages.ts";
import { columnOf, textFault, textFaultError } from "./text-validity.ts";

/** Raised by the string parser below, so the reader can say which rows held the bad bytes. */
class NotUtf8 extends Error {}
const utf8 = new TextDecoder("utf-8", { fatal: true });
const PARSERS = {
  stringFromBytes(bytes: Uint8Array | undefined): string | undefined {
    if (!bytes) return undefined;
    try {
      return utf8.decode(bytes);
    } catch {
      throw new NotUtf8();
    }
  },
};

/**
 * Streams records from a Parquet file, one row group at a time (memory is bounded by the largest
 * row group, not the file). The `textColumn` (default `text`) must be a string column; `line` is
 * the one-based row number. Strings are decoded as strict UTF-8 and checked like every other
 * format's text. Anything that is not a readable Parquet file — cut short, a corrupt footer,
 * damaged metadata or pages — is refused as `not a readable Parquet file: <what>`, never with
 * the parser's own exception.
 * @example for await (const batch of readParquet("corpus.parquet", resolveReadOptions())) f(batch);
 */
export async function* readParquet(
  path: string,
  options: ResolvedReadOptions,
): AsyncGenerator<SourcedRecord[]> {
  try {
    yield* readRowGroups(path, options);
  } catch (err) {
    // Each parser step names what failed; this net catches metadata too damaged to walk.
    if (err instanceof CrucibleError) throw err;
    throw damaged(path, "its metadata does not describe a table that can be read", undefined, err);
  }
}

async function* readRowGroups(path: string, options: ResolvedReadOptions): AsyncGenerator<SourcedRecord[]> {
  const size = await fileSize(path);
  const handle = await open(path, "r");
  try {
    const { buffer: file, step } = await openParquet(handle, path, size);
    const metadata = await step("its footer metadata cannot be decoded", () => parquetMetadataAsync(file));
    const column = options.textColumn;
    const names = await step("its schema cannot be decoded", async () =>
      parquetSchema(metadata).children.map((c) => c.element.name),
    );
    if (!names.includes(column)) {
      throw invalid(
        `${path} column "${column}"`,
        `Parquet file has no "${column}" column`,
        names,
        "Pass textColumn naming the column that holds the text",
      );
    }
    checkRowCounts(path, size, metadata);
    let rowStart = 0;
    let index = 0;
    for (const [g, group] of metadata.row_groups.entries()) {
      const rowEnd = rowStart + Number(group.num_rows);
      const what = `row group ${g + 1} (rows ${rowStart + 1}–${rowEnd}) of column "${column}"`;
      const chunk = textChunk(path, size, group, column, what);
      const pages = await step(`${what} cannot be read`, async () => {
        const start = asNumber(chunk.dictionary_page_offset) || asNumber(chunk.data_page_offset);
        return new Uint8Array(await file.slice(start, start + asNumber(chunk.total_compressed_size)));
      });
      const problem = pageProblem(pages, asNumber(chunk.num_values));
      if (problem) throw damaged(path, `${what}: ${problem}`, size);
      const rows = await step(`${what} cannot be decoded`, async () => {
        try {
          return await parquetReadObjects({
            file,
            metadata,
            columns: [column],
            rowStart,
            rowEnd,
            compressors: PARQUET_DECOMPRESSORS,
            parsers: PARSERS,
          });
        } catch (err) {
          if (err instanceof NotUtf8) throw notUtf8(path, what);
          throw err;
        }
      });
      if (rows.length !== rowEnd - rowStart) {
        throw damaged(path, `${what} decodes to ${rows.length} rows, not ${rowEnd - rowStart}`, size);
      }
      const records: SourcedRecord[] = [];
      for (const [i, row] of rows.entries()) {
        const value = row[column];
        const line = rowStart + i + 1;
        if (value === undefined)
          throw damaged(path, `row ${line} of column "${column}" cannot be decoded`, size);
        if (typeof value !== "string") {
          throw invalid(
            `${path}:${line} column "${column}"`,
            "value is not a string",
            value === null ? "null" : typeof value,
            "Store the text column as a UTF-8 string column without nulls",
          );
        }
        const fault = textFault(value, options.allowControlChars);
        if (fault) {
          throw textFaultError(
            `${path}:${line} column "${column}"`,
            fault,
            `at character ${columnOf(value, fault.index)} of the value`,
          );
        }
        records.push({ index, line, record: { text: value } });
        index += 1;
      }
      if (records.length > 0) yield records;
      rowStart = rowEnd;
    }
    if ((await handle.stat()).size !== size) throw changed(path);
  } finally {
    await handle.close();
  }
}

/** The row groups must add up to the file's row count, each of them a count. */
function checkRowCounts(path: string, size: number, metadata: FileMetaData): void {
  const count = (n: unknown) => (typeof n === "bigint" || typeof n === "number" ? BigInt(n) : -1n);
  if (!Array.isArray(metadata.row_groups)) throw damaged(path, "its metadata lists no row groups", size);
  let sum = 0n;
  for (const group of metadata.row_groups) {
    const rows = count(group?.num_rows);
    if (rows < 0n) throw damaged(path, "a row group has no valid row count", size);
    sum += rows;
  }
  if (sum !== count(metadata.num_rows)) {
    throw damaged(path, `its row groups hold ${sum} rows but its metadata says ${metadata.num_rows}`, size);
  }
}

const CODECS = new Set(["UNCOMPRESSED", "SNAPPY", ...Object.keys(PARQUET_DECOMPRESSORS)]);

/**
 * The metadata of the text column's chunk in a row group. A codec intake cannot decompress is
 * named as such, not reported as damage.
 */
function textChunk(
  path: string,
  size: number,
  group: RowGroup,
  column: string,
  what: string,
): ColumnMetaData {
  const meta = group.columns?.find((c) => c?.meta_data?.path_in_schema?.[0] === column)?.meta_data;
  const codec: unknown = meta?.codec;
  if (!meta || typeof codec !== "string") throw damaged(path, `${what} has no column chunk metadata`, size);
  if (!CODECS.has(codec)) {
    throw invalid(
      path,
      `${what} is compressed with ${codec}, which intake cannot decompress`,
      codec,
      `Re-export with one of ${[...CODECS].join(", ").toLowerCase()} (zstd needs Node 22.15 or later)`,
    );
  }
  return meta;
}

/** A metadata number (bigint or number), or NaN when damage made it something else. */
function asNumber(value: unknown): number {
  return typeof value === "bigint" || typeof value === "number" ? Number(value) : Number.NaN;
}

function notUtf8(path: string, what: string) {
  return invalid(
    path,
    `${what} holds a string that is not valid UTF-8`,
    "invalid UTF-8",
    "Write the text column as UTF-8 strings (re-encode the source text before exporting), or convert the data to JSONL",
  );
}
