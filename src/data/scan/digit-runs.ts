import { isPaymentCard } from "./checks/cards.ts";
import { type DigitRun, isIpv4, isPhone, isUsSsn } from "./checks/numbers.ts";
import type { PiiDetectorId } from "./detectors.ts";

export interface NumberHit {
  detector: Extract<PiiDetectorId, "phone" | "payment_card" | "us_ssn" | "ipv4">;
  /** Offsets into the candidate text. */
  start: number;
  end: number;
  confidence: number;
}

/** Digit groups of a candidate: offsets, and the separator written before each group. */
interface Groups {
  starts: number[];
  ends: number[];
  /** `seps[i]` is the text between group i-1 and group i (`""` for the first). */
  seps: string[];
  /** `digitsBefore[i]`: digits in groups 0..i-1. */
  digitsBefore: number[];
}

/**
 * Classifies a numeric candidate such as `(202) 555-0143` or `4111-1111-1111-1111 5555-…`.
 * Runs of groups can hold several numbers, or a number next to unrelated digits, so it takes,
 * from left to right, the longest sub-run of groups that validates as a card, an SSN, an IPv4
 * address or a phone number. `after` is the character following the candidate.
 * @example classifyNumber("(202) 867-5309", "") // [{ detector: "phone", start: 0, end: 14, ... }]
 */
export function classifyNumber(text: string, after: string): NumberHit[] {
  const g = digitGroups(text);
  const count = g.starts.length;
  const total = g.digitsBefore[count] ?? 0;
  // Fast exit: nothing we look for has fewer than 8 digits, except a dotted IPv4 address.
  if (total < 8 && !(count === 4 && text.split(".").length === 4)) return [];
  const hits: NumberHit[] = [];
  let from = 0;
  while (from < count) {
    let found: NumberHit | undefined;
    for (let to = count - 1; to >= from && !found; to -= 1) {
      const end = g.ends[to]!;
      const nextChar = to === count - 1 ? after : text[end];
      if (nextChar !== undefined && /\w/.test(nextChar)) continue;
      if (!worthClassifying(text, g, from, to) || !standsApart(g, from, to, count)) continue;
      const start = from === 0 ? 0 : g.starts[from]!;
      const verdict = classify(runOf(text, g, from, to, start, end));
      if (verdict) {
        found = { ...verdict, start, end };
        from = to + 1;
      }
    }
    if (found) hits.push(found);
    else from += 1;
  }
  return hits;
}

function digitGroups(text: string): Groups {
  const g: Groups = { starts: [], ends: [], seps: [], digitsBefore: [0] };
  let i = 0;
  let lastEnd = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      const start = i;
      while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i += 1;
      g.seps.push(g.starts.length === 0 ? "" : text.slice(lastEnd, start));
      g.starts.push(start);
      g.ends.push(i);
      g.digitsBefore.push((g.digitsBefore[g.digitsBefore.length - 1] ?? 0) + i - start);
      lastEnd = i;
    } else i += 1;
  }
  return g;
}

/** Cheap digit-count bounds before building a run: IPv4 4–12, E.164 8–15, others 9–19. */
function worthClassifying(text: string, g: Groups, from: number, to: number): boolean {
  const digits = g.digitsBefore[to + 1]! - g.digitsBefore[from]!;
  if (to - from === 3 && digits <= 12) return true;
  const plus = from === 0 && (text[0] === "+" || text[1] === "+");
  return digits <= 19 && digits >= (plus ? 8 : 9);
}

/**
 * A part of a longer run counts only when the separators around it differ from those inside it
 * (`4111-1111-1111-1111 5555-…`), not when it is a slice of one uniformly written number such
 * as a 22-digit tracking number in groups of four, nor when a "." joins it to its neighbour.
 */
function standsApart(g: Groups, from: number, to: number, count: number): boolean {
  // Digits after or before a lone "." belong to a decimal number (328.56166600000006).
  if ((from > 0 && g.seps[from] === ".") || (to < count - 1 && g.seps[to + 1] === ".")) return false;
  if (from === to || (from === 0 && to === count - 1)) return true;
  const inside = g.seps.slice(from + 1, to + 1);
  if (from > 0 && inside.includes(g.seps[from]!)) return false;
  return !(to < count - 1 && inside.includes(g.seps[to + 1]!));
}

function runOf(text: string, g: Groups, from: number, to: number, start: number, end: number): DigitRun {
  let digits = "";
  const groups: number[] = [];
  for (let i = from; i <= to; i += 1) {
    digits += text.slice(g.starts[i], g.ends[i]);
    groups.push(g.ends[i]! - g.starts[i]!);
  }
  const runText = text.slice(start, end);
  return {
    text: runText,
    digits,
    groups,
    separators: g.seps.slice(from + 1, to + 1),
    plus: from === 0 && (runText.startsWith("+") || runText.startsWith("(+")),
  };
}

function classify(run: DigitRun): Omit<NumberHit, "start" | "end"> | undefined {
  const n = run.digits.length;
  if (isIpv4(run)) return { detector: "ipv4", confidence: 0.8 };
  if (n === 9 && isUsSsn(run)) return { detector: "us_ssn", confidence: 0.85 };
  if (n >= 13 && !run.plus && isPaymentCard(run.digits, run.groups))
    return { detector: "payment_card", confidence: 0.95 };
  if (isPhone(run)) return { detector: "phone", confidence: run.plus ? 0.85 : 0.75 };
  return undefined;
}
