import { invalid } from "../../core/errors.ts";

/** An encoding other than UTF-8 that a file's first bytes give away. */
export interface WideEncoding {
  name: "UTF-16LE" | "UTF-16BE" | "UTF-32LE" | "UTF-32BE";
  /** Whether the file starts with that encoding's byte-order mark. */
  bom: boolean;
}

/** Bytes looked at to recognise UTF-16 or UTF-32 without a byte-order mark. */
const SAMPLE = 4096;
/**
 * Fewest ASCII-range code units that make the guess: a UTF-8 file with a NUL or two ("\0\n")
 * is refused for its NULs, not misnamed UTF-16.
 */
const MIN_UNITS = 4;

/**
 * Recognises UTF-16 and UTF-32 from a file's first bytes: by byte-order mark, or without one by
 * the zero bytes that ASCII-range characters leave in every other byte (UTF-16) or three bytes
 * of four (UTF-32). Text in UTF-8 never has that pattern (it holds no zero byte unless it holds
 * NUL characters); UTF-16 text with fewer than four ASCII characters in its first 4 KiB is not
 * recognised here, and is refused as invalid UTF-8 or for its NULs instead.
 * @example wideEncoding(Buffer.from("hi\n", "utf16le")) // { name: "UTF-16LE", bom: false }
 */
export function wideEncoding(head: Uint8Array): WideEncoding | undefined {
  const [b0, b1, b2, b3] = head;
  if (b0 === 0xff && b1 === 0xfe) return { name: b2 === 0 && b3 === 0 ? "UTF-32LE" : "UTF-16LE", bom: true };
  if (b0 === 0 && b1 === 0 && b2 === 0xfe && b3 === 0xff) return { name: "UTF-32BE", bom: true };
  if (b0 === 0xfe && b1 === 0xff) return { name: "UTF-16BE", bom: true };
  const n = Math.min(head.length, SAMPLE);
  let le32 = 0;
  let be32 = 0;
  for (let i = 0; i + 3 < n; i += 4) {
    const [a, b, c, d] = [head[i]!, head[i + 1]!, head[i + 2]!, head[i + 3]!];
    if (a !== 0 && b === 0 && c === 0 && d === 0) le32 += 1;
    else if (a === 0 && b === 0 && c === 0 && d !== 0) be32 += 1;
  }
  const quads = n >>> 2;
  if (le32 >= MIN_UNITS && le32 >= quads * 0.4 && be32 === 0) return { name: "UTF-32LE", bom: false };
  if (be32 >= MIN_UNITS && be32 >= quads * 0.4 && le32 === 0) return { name: "UTF-32BE", bom: false };
  let le = 0;
  let be = 0;
  for (let i = 0; i + 1 < n; i += 2) {
    if (head[i] !== 0 && head[i + 1] === 0) le += 1;
    else if (head[i] === 0 && head[i + 1] !== 0) be += 1;
  }
  const pairs = n >>> 1;
  if (le >= MIN_UNITS && le >= pairs * 0.4 && be * 10 <= le) return { name: "UTF-16LE", bom: false };
  if (be >= MIN_UNITS && be >= pairs * 0.4 && le * 10 <= be) return { name: "UTF-16BE", bom: false };
  return undefined;
}

/**
 * Refuses a file whose first chunk shows it is UTF-16 or UTF-32, with the command that converts
 * it. Such files are refused rather than decoded: every reader splits lines and CSV rows on
 * bytes, reports byte columns, and copies JSONL bytes into the digest, all of which assume
 * UTF-8; a conversion the user runs once is explicit and leaves a file every other tool reads.
 * @example assertUtf8Start("a.txt", firstChunk)
 */
export function assertUtf8Start(path: string, head: Uint8Array): void {
  const found = wideEncoding(head);
  if (!found) return;
  // With a byte-order mark, iconv's "UTF-16" / "UTF-32" reads the mark and drops it.
  const from = found.bom ? found.name.slice(0, 6) : found.name;
  const hex = [...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  throw invalid(
    `${path}:1`,
    found.bom
      ? `file starts with a ${found.name} byte-order mark; datasets are read as UTF-8`
      : `file looks like ${found.name} without a byte-order mark (zero bytes between its characters); datasets are read as UTF-8`,
    `first bytes ${hex}`,
    `Convert it to UTF-8: iconv -f ${from} -t UTF-8 '${path}' > converted${extensionOf(path)}`,
  );
}

function extensionOf(path: string): string {
  const dot = path.lastIndexOf(".");
  return dot > path.lastIndexOf("/") ? path.slice(dot) : "";
}

/**
 * Offset of the first byte of the first ill-formed UTF-8 sequence in `bytes` (overlong forms,
 * surrogates, code points past U+10FFFF and truncated sequences included), or -1. Used only to
 * say where a fatal decode failed, so it favours clarity over speed.
 * @example invalidUtf8At(Uint8Array.of(0x61, 0xc3, 0x28)) // 1
 */
export function invalidUtf8At(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k += 1) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * The `invalid_argument` error for bytes that are not UTF-8, naming the line, the column and
 * the byte offset in the file.
 */
export function notUtf8Error(path: string, line: number, column: number, offset: number) {
  return invalid(
    `${path}:${line}:${column}`,
    `text is not valid UTF-8 (bad byte at offset ${offset} of the file, column ${column} of line ${line})`,
    "invalid UTF-8",
    `Re-encode the file as UTF-8 (for another encoding: iconv -f <ENCODING> -t UTF-8 '${path}' > converted${extensionOf(path)})`,
  );
}
