/**
 * A bounded walk over the page headers of one Parquet column chunk, run before hyparquet decodes
 * it. hyparquet trusts the counts in a page header: a negative `num_nulls` or page size sends
 * its decoding loop backwards forever, which no try/catch can stop and which would hang the
 * process (an API server included). Here every header is read with a small Thrift compact
 * decoder that cannot loop (each step consumes input; nesting is capped) and checked: sizes and
 * counts non-negative and inside the chunk, nulls and rows no more than values, data pages
 * adding up to the column's value count. What passes has the shape hyparquet can decode.
 */

/** A page header problem, or undefined when every page is sound. */
export function pageProblem(chunk: Uint8Array, expectedValues: number): string | undefined {
  const reader = { bytes: chunk, at: 0 };
  let values = 0;
  try {
    while (reader.at < chunk.length) {
      const header = readStruct(reader, 0);
      const type = header.get(1);
      const compressed = header.get(3);
      const uncompressed = header.get(2);
      if (!isCount(compressed) || !isCount(uncompressed))
        return "a page header has a negative or missing size";
      if (reader.at + compressed > chunk.length) return "a page runs past the end of its column chunk";
      reader.at += compressed;
      if (type === DATA_PAGE || type === DATA_PAGE_V2) {
        const counts = header.get(type === DATA_PAGE ? 5 : 8);
        if (!(counts instanceof Map)) return "a data page header has no counts";
        const problem = dataPageProblem(counts, type === DATA_PAGE_V2, compressed);
        if (problem) return problem;
        values += counts.get(1) as number;
      } else if (type === DICTIONARY_PAGE) {
        const dictionary = header.get(7);
        if (!(dictionary instanceof Map) || !isCount(dictionary.get(1))) {
          return "a dictionary page header has no valid value count";
        }
      } else if (type !== INDEX_PAGE) return "a page header has an unknown page type";
    }
  } catch (err) {
    if (err instanceof Truncated) return "a page header is cut short or malformed";
    throw err;
  }
  if (values !== expectedValues) {
    return `its pages hold ${values} values but the column metadata says ${expectedValues}`;
  }
  return undefined;
}

const DATA_PAGE = 0;
const INDEX_PAGE = 1;
const DICTIONARY_PAGE = 2;
const DATA_PAGE_V2 = 3;

function dataPageProblem(counts: Map<number, unknown>, v2: boolean, pageBytes: number): string | undefined {
  const values = counts.get(1);
  if (!isCount(values)) return "a data page header has no valid value count";
  if (!v2) return undefined;
  const [nulls, rows, defBytes, repBytes] = [counts.get(2), counts.get(3), counts.get(5), counts.get(6)];
  if (!isCount(nulls) || nulls > values) return "a data page counts more nulls than values";
  if (!isCount(rows) || rows > values) return "a data page counts more rows than values";
  if (!isCount(defBytes) || !isCount(repBytes) || defBytes + repBytes > pageBytes) {
    return "a data page's level lengths do not fit in the page";
  }
  return undefined;
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

class Truncated extends Error {}

interface Reader {
  bytes: Uint8Array;
  at: number;
}

const MAX_DEPTH = 8;

/** A Thrift compact-protocol struct: field id → value (numbers, nested structs as maps; the rest skipped). */
function readStruct(r: Reader, depth: number): Map<number, unknown> {
  if (depth > MAX_DEPTH) throw new Truncated();
  const fields = new Map<number, unknown>();
  let id = 0;
  for (;;) {
    const byte = readByte(r);
    const type = byte & 0x0f;
    if (type === 0) return fields;
    const delta = byte >> 4;
    id = delta ? id + delta : zigzag(readVarint(r));
    fields.set(id, readValue(r, type, depth));
  }
}

function readValue(r: Reader, type: number, depth: number): unknown {
  switch (type) {
    case 1:
      return true;
    case 2:
      return false;
    case 3:
      return readByte(r);
    case 4:
    case 5:
    case 6:
      return zigzag(readVarint(r));
    case 7:
      return skip(r, 8);
    case 8:
      return skip(r, readVarint(r));
    case 9:
    case 10: {
      const head = readByte(r);
      const size = head >> 4 === 15 ? readVarint(r) : head >> 4;
      for (let i = 0; i < size; i += 1) readValue(r, element(head & 0x0f), depth + 1);
      return undefined;
    }
    case 11: {
      const size = readVarint(r);
      if (size === 0) return undefined;
      const kinds = readByte(r);
      for (let i = 0; i < size; i += 1) {
        readValue(r, element(kinds >> 4), depth + 1);
        readValue(r, element(kinds & 0x0f), depth + 1);
      }
      return undefined;
    }
    case 12:
      return readStruct(r, depth + 1);
    default:
      throw new Truncated();
  }
}

/** Inside lists and maps a boolean takes a byte of its own. */
function element(type: number): number {
  return type === 1 || type === 2 ? 3 : type;
}

function readByte(r: Reader): number {
  if (r.at >= r.bytes.length) throw new Truncated();
  return r.bytes[r.at++]!;
}

function skip(r: Reader, n: number): undefined {
  if (r.at + n > r.bytes.length) throw new Truncated();
  r.at += n;
  return undefined;
}

/** An unsigned varint of up to 10 bytes, as a number (exact up to 2^53). */
function readVarint(r: Reader): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i += 1) {
    const byte = readByte(r);
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 128;
  }
  throw new Truncated();
}

function zigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}
