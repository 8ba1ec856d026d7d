import { type FileHandle, open } from "node:fs/promises";
import { type AsyncBuffer, parquetMetadataAsync, parquetReadObjects, parquetSchema } from "hyparquet";
import { CrucibleError, invalid } from "../../core/errors.ts";
import type { SourcedRecord } from "../records.ts";
import { fileSize } from "./chunks.ts";
import type { ResolvedReadOptions } from "./options.ts";
import { PARQUET_DECOMPRESSORS } from "./parquet-codecs.ts";

const MAGIC = 0x31524150; // "PAR1", little-endian

/**
 * Streams records from a Parquet file, one row group at a time (memory is bounded by the largest
 * row group, not the file). The `textColumn` (default `text`) must be a string column; `line` is
 * the one-based row number. Anything that is not a readable Parquet file, including one cut short,
 * is rejected as `invalid_argument`.
 * @example for await (const batch of readParquet("corpus.parquet", resolveReadOptions())) f(batch);
 */
export async function* readParquet(
  path: string,
  options: ResolvedReadOptions,
): AsyncGenerator<SourcedRecord[]> {
  const size = await fileSize(path);
  const handle = await open(path, "r");
  try {
    const file = await checkedBuffer(handle, path, size);
    const metadata = await guard(path, () => parquetMetadataAsync(file));
    const column = options.textColumn;
    const names = parquetSchema(metadata).children.map((c) => c.element.name);
    if (!names.includes(column)) {
      throw invalid(
        `${path} column "${column}"`,
        `Parquet file has no "${column}" column`,
        names,
        "Pass textColumn naming the column that holds the text",
      );
    }
    let rowStart = 0;
    let index = 0;
    for (const group of metadata.row_groups) {
      const rowEnd = rowStart + Number(group.num_rows);
      const rows = await guard(path, () =>
        parquetReadObjects({
          file,
          metadata,
          columns: [column],
          rowStart,
          rowEnd,
          compressors: PARQUET_DECOMPRESSORS,
        }),
      );
      const records: SourcedRecord[] = [];
      for (const [i, row] of rows.entries()) {
        const value = row[column];
        const line = rowStart + i + 1;
        if (typeof value !== "string") {
          throw invalid(
            `${path}:${line} column "${column}"`,
            "value is not a string",
            value === null ? "null" : typeof value,
            "Store the text column as a UTF-8 string column without nulls",
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

async function checkedBuffer(handle: FileHandle, path: string, size: number): Promise<AsyncBuffer> {
  const notParquet = () =>
    invalid(
      path,
      "file is not a Parquet file (no PAR1 magic at its start and end)",
      `${size} bytes`,
      "Convert the data to Parquet, or pass the format that matches its content",
    );
  if (size < 12) throw notParquet();
  const head = new Uint8Array(4);
  const tail = new Uint8Array(4);
  await handle.read(head, 0, 4, 0);
  await handle.read(tail, 0, 4, size - 4);
  const le = (b: Uint8Array) => new DataView(b.buffer).getUint32(0, true);
  if (le(head) !== MAGIC || le(tail) !== MAGIC) throw notParquet();
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = end ?? size;
      const out = new Uint8Array(stop - start);
      const { bytesRead } = await handle.read(out, 0, out.length, start);
      if (bytesRead < out.length) throw changed(path);
      return out.buffer;
    },
  };
}

function changed(path: string): CrucibleError {
  return invalid(
    path,
    "file was truncated or changed while it was being read",
    path,
    "Do not modify the file during intake; copy it complete and read it again",
  );
}

async function guard<T>(path: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof CrucibleError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw invalid(
      path,
      `Parquet file cannot be read (${reason})`,
      path,
      "Check that the file is a complete Parquet file; supported codecs are uncompressed, snappy, gzip, brotli, and zstd on Node 22.15 or later",
    );
  }
}
