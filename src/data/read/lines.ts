import { invalid } from "../../core/errors.ts";
import { fileChunks } from "./chunks.ts";
import { assertUtf8Start, invalidUtf8At, notUtf8Error } from "./encoding.ts";
import { byteControlAt, columnOf, textFault, textFaultError } from "./text-validity.ts";

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

/** How `fileLines` cuts and checks. */
export interface LineOptions {
  chunkBytes: number;
  maxLineBytes: number;
  /**
   * Refuse raw C0 control bytes other than tab, LF and CR, naming line and column (plain text).
   * JSONL leaves this off: JSON refuses raw controls itself, and escapes are checked after parsing.
   */
  refuseControls: boolean;
}

/**
 * Streams a file as batches of UTF-8 lines (one batch per disk chunk), keeping at most two
 * chunks plus one partial line in memory. Lines are cut at 0x0A bytes, which never occur inside a
 * multi-byte UTF-8 sequence, and each line is decoded by a fatal `TextDecoder`, so invalid UTF-8
 * is reported with its exact line, column and byte offset. A file whose first bytes show UTF-16
 * or UTF-32 is refused with the conversion to run. A trailing `\r` and a leading byte-order mark
 * are removed. Control bytes are looked for once per chunk, four bytes at a time; only a chunk
 * that has one has its lines searched for the place.
 * @example for await (const batch of fileLines("a.txt", { chunkBytes: 1 << 20, maxLineBytes: 8 << 20, refuseControls: true })) f(batch);
 */
export async function* fileLines(path: string, options: LineOptions): AsyncGenerator<Line[]> {
  const { chunkBytes, maxLineBytes, refuseControls } = options;
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  /** Whether the partial line carried over holds a control byte. */
  let pendingControl = false;
  let lineNo = 0;
  /** File offset of the next line's first byte. */
  let lineOffset = 0;
  let first = true;
  const tooLong = (bytes: number) =>
    invalid(
      `${path}:${lineNo + 1}`,
      `line is longer than the limit of ${maxLineBytes} bytes`,
      `${bytes}+ bytes`,
      "Split the record, or raise maxLineBytes if such long records are intended",
    );
  /** Drops a trailing carriage return. */
  const content = (bytes: Uint8Array) => (bytes[bytes.length - 1] === 13 ? bytes.subarray(0, -1) : bytes);
  const decode = (bytes: Uint8Array, control: boolean): Line => {
    lineNo += 1;
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      const bad = Math.max(0, invalidUtf8At(bytes));
      const valid = new TextDecoder().decode(bytes.subarray(0, bad));
      const column = columnOf(valid, valid.length);
      throw notUtf8Error(path, lineNo, column, lineOffset + bad);
    }
    if (control) {
      const fault = textFault(text, false);
      if (fault) throw textFaultError(`${path}:${lineNo}:${columnOf(text, fault.index)}`, fault, "");
    }
    const line = {
      line: lineNo,
      text: text.endsWith("\r") ? text.slice(0, -1) : text,
      bytes: bytes.length,
      raw: content(bytes),
    };
    lineOffset += bytes.length + 1;
    return line;
  };
  for await (const chunk of fileChunks(path, chunkBytes)) {
    if (first) {
      assertUtf8Start(path, chunk);
      first = false;
    }
    // Index of the chunk's first control byte; lines before it need no search.
    const control = refuseControls ? byteControlAt(chunk) : -1;
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
          pendingControl ||= control >= start;
        }
        break;
      }
      let bytes = chunk.subarray(start, nl);
      let hasControl = control >= start && control < nl;
      if (pending.length > 0) {
        pending.push(bytes);
        bytes = Buffer.concat(pending);
        hasControl ||= pendingControl;
        pending = [];
        pendingBytes = 0;
        pendingControl = false;
      }
      if (bytes.length > maxLineBytes) throw tooLong(bytes.length);
      batch.push(decode(bytes, hasControl));
      start = nl + 1;
    }
    if (batch.length > 0) yield batch;
  }
  if (pending.length > 0) yield [decode(Buffer.concat(pending), pendingControl)];
}
