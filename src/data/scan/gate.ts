/**
 * The character gate in front of the combined pattern: each branch declares the ASCII
 * characters it can start with and, optionally, what must (or must not) stand before that
 * character and what the next few characters must be — necessary conditions read off its
 * regex. They compile into one bitmask table per position (bit i: branch i allows this
 * character here), so the walk (`gatePasses` in pattern.ts) decides with a handful of table
 * lookups whether any branch can match at a position.
 */

/** Conditions around a branch's first character, as character sets (`A-Z0-9_` style ranges). */
export interface GateSpec {
  /** Characters the match can start with. */
  starts: string;
  /** The character before must be one of these (none at the start of the string fails). */
  before?: string;
  /** The character before must not be one of these (the start of the string passes). */
  notBefore?: string;
  /** The characters after the first must be, in turn, one of these sets. */
  next?: readonly string[];
}

/** Index used for a non-ASCII character (a position outside the string reads as NUL, which no set names). */
const OTHER = 128;
/** How many characters after the first a gate may look at (`gatePasses` in pattern.ts reads three). */
export const MAX_NEXT = 3;

/**
 * The characters of a set written as in a regex class, without brackets: `A-Z0-9_` (a `-` at
 * the start or end is itself).
 * @example charSet("a-c_") // "abc_"
 */
export function charSet(spec: string): string {
  let out = "";
  for (let i = 0; i < spec.length; i += 1) {
    if (spec[i + 1] === "-" && i + 2 < spec.length) {
      for (let c = spec.charCodeAt(i); c <= spec.charCodeAt(i + 2); c += 1) out += String.fromCharCode(c);
      i += 2;
    } else out += spec[i];
  }
  return out;
}

export interface Gate {
  /** Per ASCII code: the branches that can start with it. */
  start: Uint32Array;
  /** Per code of the character before (OTHER for non-ASCII, NUL outside the string): the branches it allows. */
  before: Uint32Array;
  /** The branches with a condition on the character before. */
  beforeAny: number;
  /** Per position after the first, per code: the branches the character there allows. */
  next: readonly Uint32Array[];
  /** Per position after the first: the branches with a condition there or further on. */
  nextFrom: Uint32Array;
}

/**
 * Compiles the branches' conditions (at most 32 branches).
 * @example compileGate([{ starts: "A", next: ["K"] }]).start["A".charCodeAt(0)] // 1
 */
export function compileGate(specs: readonly GateSpec[]): Gate {
  if (specs.length > 32)
    throw new Error(`${specs.length} branches: the gate holds at most 32; merge branches`);
  const start = new Uint32Array(OTHER + 1);
  const before = new Uint32Array(OTHER + 1);
  const next = Array.from({ length: MAX_NEXT }, () => new Uint32Array(OTHER + 1));
  const nextFrom = new Uint32Array(MAX_NEXT);
  let beforeAny = 0;
  specs.forEach((spec, i) => {
    const bit = 1 << i;
    if ((spec.next?.length ?? 0) > MAX_NEXT)
      throw new Error(`gate looks at most ${MAX_NEXT} characters ahead`);
    for (const c of charSet(spec.starts)) {
      if (c.charCodeAt(0) >= OTHER)
        throw new Error(`branch start ${JSON.stringify(c)} is not ASCII; start on ASCII`);
      start[c.charCodeAt(0)]! |= bit;
    }
    allow(before, bit, spec.before, spec.notBefore);
    if (spec.before !== undefined || spec.notBefore !== undefined) beforeAny |= bit;
    next.forEach((table, k) => {
      allow(table, bit, spec.next?.[k]);
    });
    for (let k = 0; k < (spec.next?.length ?? 0); k += 1) nextFrom[k]! |= bit;
  });
  return { start, before, beforeAny, next, nextFrom };
}

/** Sets `bit` for the codes a position allows: all when unconstrained. */
function allow(table: Uint32Array, bit: number, only?: string, not?: string): void {
  const allowed = only === undefined ? undefined : new Set([...charSet(only)].map((c) => c.charCodeAt(0)));
  const denied = new Set([...charSet(not ?? "")].map((c) => c.charCodeAt(0)));
  for (let code = 0; code <= OTHER; code += 1) {
    const ok = allowed ? allowed.has(code) : !denied.has(code);
    if (ok) table[code]! |= bit;
  }
}
