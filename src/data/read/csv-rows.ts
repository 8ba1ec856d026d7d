import { invalid } from "../../core/errors.ts";

/** One parsed CSV row and the one-based physical line it starts on. */
export interface CsvRow {
  line: number;
  fields: string[];
}

export interface CsvParse {
  rows: CsvRow[];
  /** Characters of the input that formed complete rows; the rest waits for more input. */
  consumed: number;
  /** Line number at `consumed`. */
  nextLine: number;
}

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;

/**
 * Parses the complete RFC 4180 rows at the start of `text` (comma separator, `"` quoting with
 * `""` escapes, CRLF or LF ends, line breaks allowed inside quotes). When `final` is false the
 * last, possibly incomplete, row is left unconsumed for the caller to retry with more input.
 * Blank lines yield no row.
 * @example parseCsvRows('a,"b ""c"""\n', 1, true, "f.csv").rows[0]?.fields // ["a", 'b "c"']
 */
export function parseCsvRows(text: string, firstLine: number, final: boolean, path: string): CsvParse {
  const rows: CsvRow[] = [];
  let pos = 0;
  let line = firstLine;
  let consumed = 0;
  let nextLine = firstLine;
  const n = text.length;
  while (pos < n) {
    const rowLine = line;
    const fields: string[] = [];
    let quoted = false;
    let complete = false;
    while (true) {
      // One field starting at pos.
      if (text.charCodeAt(pos) === QUOTE) {
        let value = "";
        let from = pos + 1;
        let closed = false;
        while (true) {
          const q = text.indexOf('"', from);
          if (q === -1) break;
          value += text.slice(from, q);
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += '"';
            from = q + 2;
            continue;
          }
          if (q + 1 >= n && !final) break; // the next chunk may start with the second quote
          pos = q + 1;
          closed = true;
          break;
        }
        if (!closed) {
          if (final)
            throw invalid(
              `${path}:${rowLine}`,
              "quoted field is never closed",
              value.slice(0, 40),
              'Close the field with a double quote; write "" for a quote inside it',
            );
          return { rows, consumed, nextLine };
        }
        line += countLines(value);
        fields.push(value);
        quoted = true;
        const c = text.charCodeAt(pos);
        if (pos < n && c !== COMMA && c !== LF && c !== CR) {
          throw invalid(
            `${path}:${line}`,
            "unexpected character after a closing quote",
            text.slice(pos, pos + 10),
            'Put a comma after the closing quote, or write "" for a literal quote',
          );
        }
      } else {
        let end = pos;
        while (end < n) {
          const c = text.charCodeAt(end);
          if (c === COMMA || c === LF || c === CR) break;
          if (c === QUOTE)
            throw invalid(
              `${path}:${line}`,
              "double quote inside an unquoted field",
              text.slice(pos, end + 10),
              'Quote the whole field and write "" for each quote in it',
            );
          end += 1;
        }
        fields.push(text.slice(pos, end));
        pos = end;
      }
      // After a field: comma, line end or end of input.
      if (pos >= n) {
        if (!final) return { rows, consumed, nextLine };
        complete = true;
        break;
      }
      const c = text.charCodeAt(pos);
      if (c === COMMA) {
        pos += 1;
        continue;
      }
      if (c === CR) {
        if (pos + 1 >= n && !final) return { rows, consumed, nextLine };
        pos += text.charCodeAt(pos + 1) === LF ? 2 : 1;
      } else pos += 1;
      line += 1;
      complete = true;
      break;
    }
    if (complete) {
      // A blank line is no row; a quoted empty field ("") is a row with one empty value.
      if (quoted || fields.length > 1 || fields[0] !== "") rows.push({ line: rowLine, fields });
      consumed = pos;
      nextLine = line;
    }
  }
  return { rows, consumed, nextLine };
}

function countLines(value: string): number {
  let count = 0;
  let at = value.indexOf("\n");
  while (at !== -1) {
    count += 1;
    at = value.indexOf("\n", at + 1);
  }
  return count;
}
