import type { FileHandle } from "node:fs/promises";
import type { AsyncBuffer } from "hyparquet";
import { CrucibleError, invalid } from "../../core/errors.ts";

const MAGIC = 0x31524150; // "PAR1", little-endian

/** What to do about a Parquet file that cannot be read. */
export const REEXPORT =
  "Re-export it from its source (pandas DataFrame.to_parquet, pyarrow.parquet.write_table, DuckDB COPY … TO 'x.parquet'), copy it again if it was cut short, or convert it to JSONL";

/**
 * The one error for a Parquet file whose structure is broken: what is wrong in our words, never
 * the parser's (its text stays in `cause`, for debugging).
 * @example throw damaged("a.parquet", "its footer metadata cannot be decoded", 2048)
 */
export function damaged(path: string, what: string, size?: number, cause?: unknown): CrucibleError {
  return new CrucibleError(
    "invalid_argument",
    `not a readable Parquet file: ${what}`,
    { field: path, ...(size === undefined ? {} : { value: `${size} bytes` }), fix: REEXPORT },
    { cause },
  );
}

/**
 * The file as hyparquet reads it: an `AsyncBuffer` whose reads never reject. hyparquet starts
 * reads it does not always await (prefetches of several ranges), and a rejection nobody awaits
 * ends the process; so a failed read (a range outside the file, a file cut short meanwhile)
 * returns no bytes and is kept in `failure`, which `step` throws in place of the parser's error.
 */
export interface ParquetSource {
  buffer: AsyncBuffer;
  /**
   * Runs a step of the parser; anything it throws that is not already ours becomes
   * `damaged(path, what)`. The parser is a library reading untrusted bytes: a TypeError, a
   * RangeError from an absurd length or "thrift unhandled type" all mean the same to the user.
   */
  step<T>(what: string, run: () => Promise<T>): Promise<T>;
}

/**
 * Checks the magic at both ends and the footer length, then gives hyparquet a buffer that reads
 * from the open file on demand (so memory holds one row group, not the file).
 */
export async function openParquet(handle: FileHandle, path: string, size: number): Promise<ParquetSource> {
  const notParquet = () =>
    invalid(
      path,
      "file is not a Parquet file (no PAR1 magic at its start and end)",
      `${size} bytes`,
      "Convert the data to Parquet, or pass the format that matches its content",
    );
  if (size < 12) throw notParquet();
  const head = new Uint8Array(4);
  const tail = new Uint8Array(8);
  await handle.read(head, 0, 4, 0);
  await handle.read(tail, 0, 8, size - 8);
  const le = (b: Uint8Array, at: number) => new DataView(b.buffer).getUint32(at, true);
  if (le(head, 0) !== MAGIC || le(tail, 4) !== MAGIC) throw notParquet();
  const footer = le(tail, 0);
  if (footer === 0 || footer > size - 12) {
    throw damaged(
      path,
      `its footer says the metadata is ${footer} bytes long, but the file has room for ${size - 12} (the file is cut short or its footer is corrupt)`,
      size,
    );
  }
  let failure: CrucibleError | undefined;
  const read = async (start: number, stop: number): Promise<ArrayBuffer> => {
    if (!(start >= 0 && stop >= start && stop <= size)) {
      const range = Number.isFinite(start + stop)
        ? `bytes ${start}–${stop}`
        : "a byte range that is not a number";
      throw damaged(path, `its metadata points at ${range}, outside the file`, size);
    }
    const out = new Uint8Array(stop - start);
    const { bytesRead } = await handle.read(out, 0, out.length, start);
    if (bytesRead < out.length) throw changed(path);
    return out.buffer;
  };
  const buffer: AsyncBuffer = {
    byteLength: size,
    slice: (start: number, end?: number) =>
      read(start, end ?? size).catch((err: unknown) => {
        failure ??= err instanceof CrucibleError ? err : changed(path);
        return new ArrayBuffer(0);
      }),
  };
  const step = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    let result: T;
    try {
      result = await run();
    } catch (err) {
      if (failure) throw failure;
      if (err instanceof CrucibleError) throw err;
      throw damaged(path, what, size, err);
    }
    if (failure) throw failure;
    return result;
  };
  return { buffer, step };
}

export function changed(path: string): CrucibleError {
  return invalid(
    path,
    "file was truncated or changed while it was being read",
    path,
    "Do not modify the file during intake; copy it complete and read it again",
  );
}
