import { invalid } from "../../core/errors.ts";
import { fileChunks } from "./chunks.ts";

/** One decoded line and its one-based line number. */
export interface Line {
  line: number;
  text: string;
  /** Length of the line in bytes, as stored in the file. */
  bytes: number;
  /**
   * The line's bytes without the line break (and without a trailing `\r`). A view into the
   * read buffer: valid only until the batch after the next is asked for; copy what must live longer.
   */
  raw: Uint8Array;
}

/**
 * Streams a file as batches of UTF-8 lines (one batch per disk chunk), keeping at most two
 * chunks plus one partial line in memory. Lines are cut at 0x0A bytes, which never occur inside a
 * multi-byte UTF-8 sequence, and each line is decoded by a fatal `TextDecoder`, so invalid UTF-8
 * is reported with its exact line. A trailing `\r` and a leading byte-order mark are removed.
 * @example for await (const batch of fileLines("a.jsonl", 1 << 20, 8 << 20)) for (const l of batch) f(l.text);
 */
export async function* fileLines(
  path: string,
  chunkBytes: number,
  maxLineBytes: number,
): AsyncGenerator<Line[]> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let lineNo = 0;
  const tooLong = (bytes: number) =>
    invalid(
      `${path}:${lineNo + 1}`,
      `line is longer than the limit of ${maxLineBytes} bytes`,
      `${bytes}+ bytes`,
      "Split the record, or raise maxLineBytes if such long records are intended",
    );
  /** Drops a trailing carriage return. */
  const content = (bytes: Uint8Array) => (bytes[bytes.length - 1] === 13 ? bytes.subarray(0, -1) : bytes);
  const decode = (bytes: Uint8Array): string => {
    lineNo += 1;
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw invalid(
        `${path}:${lineNo}`,
        `line is not valid UTF-8 (bad byte near column ${badByteColumn(bytes)})`,
        "invalid UTF-8",
        "Re-encode the file as UTF-8",
      );
    }
    return text.endsWith("\r") ? text.slice(0, -1) : text;
  };
  for await (const chunk of fileChunks(path, chunkBytes)) {
    const batch: Line[] = [];
    let start = 0;
    while (start <= chunk.length) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        const rest = chunk.subarray(start);
        if (rest.length > 0) {
          pendingBytes += rest.length;
          if (pendingBytes > maxLineBytes) throw tooLong(pendingBytes);
          pending.push(rest.slice());
        }
        break;
      }
      let bytes = chunk.subarray(start, nl);
      if (pending.length > 0) {
        pending.push(bytes);
        bytes = Buffer.concat(pending);
        pending = [];
        pendingBytes = 0;
      }
      if (bytes.length > maxLineBytes) throw tooLong(bytes.length);
      batch.push({ line: lineNo + 1, text: decode(bytes), bytes: bytes.length, raw: content(bytes) });
      start = nl + 1;
    }
    if (batch.length > 0) yield batch;
  }
  if (pending.length > 0) {
    const bytes = Buffer.concat(pending);
    yield [{ line: lineNo + 1, text: decode(bytes), bytes: bytes.length, raw: content(bytes) }];
  }
}

/** One-based column (in bytes) of the first byte that breaks UTF-8 decoding. */
function badByteColumn(bytes: Uint8Array): number {
  const lenient = new TextDecoder("utf-8");
  let lo = 0;
  let hi = bytes.length;
  // Binary search the longest valid prefix: a valid prefix decodes without U+FFFD at its end.
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lenient.decode(bytes.subarray(0, mid)).includes("\uFFFD")) hi = mid - 1;
    else lo = mid;
  }
  return lo + 1;
}
