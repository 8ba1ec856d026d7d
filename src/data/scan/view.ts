/**
 * The normalised view the scanner matches on: format characters (Unicode Cf: zero-width
 * spaces and joiners, U+2060, the soft hyphen, bidi marks…) removed and NFKC applied (full-width
 * digits and letters, compatibility spaces, ligatures), with a map from each view index back to
 * the original string. NFKC is applied code point by code point: composition across code points
 * only builds accented letters, which no detector matches.
 */

/** A view of a string and where each of its UTF-16 code units came from. */
export interface View {
  text: string;
  /** `from[i]`, `to[i]`: the original code units `[from, to)` that view unit `i` came from; undefined when the view is the original. */
  from: Int32Array | undefined;
  to: Int32Array | undefined;
}

const NEXT_NON_ASCII = /[\u0080-\uffff]/g;
const FORMAT = /^\p{Cf}$/u;

/** Per BMP code unit: 1 when NFKC changes it or it is a format character (built on first need). */
let suspectBmp: Uint8Array | undefined;

function suspectTable(): Uint8Array {
  if (suspectBmp) return suspectBmp;
  const table = new Uint8Array(0x10000);
  for (let c = 0x80; c < 0x10000; c += 1) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const ch = String.fromCharCode(c);
    if (FORMAT.test(ch) || ch.normalize("NFKC") !== ch) table[c] = 1;
  }
  suspectBmp = table;
  return table;
}

/** What code point `cp` (its text `ch`) becomes in the view: removed, kept or replaced. */
function replacement(ch: string): string {
  return FORMAT.test(ch) ? "" : ch.normalize("NFKC");
}

/** Code units of the code point at `i` when the view changes it, else 0. */
function suspectAt(text: string, i: number, table: Uint8Array): number {
  const c = text.charCodeAt(i);
  if (c < 0x80) return 0;
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
    const ch = text.slice(i, i + 2);
    return replacement(ch) === ch ? 0 : 2;
  }
  return table[c] === 1 ? 1 : 0;
}

/**
 * Whether the view changes the code unit at `i` (a non-ASCII one): the scanner's character walk
 * asks this of every non-ASCII code unit it passes, so text the view leaves alone is scanned once.
 * @example viewChanges("a\u200bb", 1) // true
 */
export function viewChanges(text: string, i: number): boolean {
  return suspectAt(text, i, suspectTable()) > 0;
}

/**
 * Index of the first code unit the view changes, or -1. Plain ASCII costs one regex search;
 * other text one regex step per non-ASCII code unit, and a table lookup.
 */
function firstSuspect(text: string): number {
  NEXT_NON_ASCII.lastIndex = 0;
  for (let m = NEXT_NON_ASCII.exec(text); m !== null; m = NEXT_NON_ASCII.exec(text)) {
    if (suspectAt(text, m.index, suspectTable()) > 0) return m.index;
  }
  return -1;
}

/**
 * The normalised view of `text`; the original itself when nothing changes (no allocation).
 * @example normalisedView("4111\u200B1111").text // "41111111"
 */
export function normalisedView(text: string): View {
  let i = firstSuspect(text);
  if (i === -1) return { text, from: undefined, to: undefined };
  const table = suspectTable();
  const from: number[] = [];
  const to: number[] = [];
  let out = "";
  const emit = (piece: string, start: number, end: number, eachOwn: boolean) => {
    out += piece;
    for (let k = 0; k < piece.length; k += 1) {
      from.push(eachOwn ? start + k : start);
      to.push(eachOwn ? start + k + 1 : end);
    }
  };
  emit(text.slice(0, i), 0, i, true);
  while (i < text.length) {
    const width = suspectAt(text, i, table);
    if (width === 0) {
      let j = i + 1;
      while (j < text.length && suspectAt(text, j, table) === 0) j += 1;
      emit(text.slice(i, j), i, j, true);
      i = j;
    } else {
      emit(replacement(text.slice(i, i + width)), i, i + width, false);
      i += width;
    }
  }
  return { text: out, from: Int32Array.from(from), to: Int32Array.from(to) };
}

/**
 * The original span of view span `[start, end)`: it covers every original code unit from the
 * first view unit's source to the last one's, removed characters between them included.
 */
export function originalSpan(view: View, start: number, end: number): [number, number] {
  if (!view.from || !view.to) return [start, end];
  return [view.from[start]!, view.to[end - 1]!];
}
