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

/**
 * Classifies a numeric candidate such as `call (202) 555-0143 or 4111 1111 1111 1111`'s digit
 * runs. Runs of groups can hold several numbers, or a number next to unrelated digits, so it
 * takes, from left to right, the longest sub-run of groups that validates as a card, an SSN,
 * an IPv4 address or a phone number.
 * @example classifyNumber("(202) 555-0143", "") // [{ detector: "phone", start: 0, end: 14, ... }]
 */
export function classifyNumber(text: string, after: string): NumberHit[] {
  const groups: Array<{ start: number; end: number }> = [];
  for (const m of text.matchAll(/\d+/g)) groups.push({ start: m.index, end: m.index + m[0].length });
  const hits: NumberHit[] = [];
  let from = 0;
  while (from < groups.length) {
    let found: NumberHit | undefined;
    for (let to = groups.length - 1; to >= from && !found; to -= 1) {
      const start = from === 0 ? 0 : (groups[from]?.start ?? 0);
      const end = groups[to]?.end ?? 0;
      const nextChar = to === groups.length - 1 ? after : text[end];
      if (nextChar !== undefined && /\w/.test(nextChar)) continue;
      if (!standsApart(text, groups, from, to)) continue;
      const verdict = classify(runOf(text, groups, from, to, start, end));
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

/**
 * A part of a longer run counts only when the separators around it differ from those inside it
 * (`4111-1111-1111-1111 5555-…`), not when it is a slice of one uniformly written number such
 * as a 22-digit tracking number in groups of four.
 */
function standsApart(
  text: string,
  groups: Array<{ start: number; end: number }>,
  from: number,
  to: number,
): boolean {
  if (from === to) return true;
  const sep = (i: number) => text.slice(groups[i - 1]?.end, groups[i]?.start);
  const inside = new Set<string>();
  for (let i = from + 1; i <= to; i += 1) inside.add(sep(i));
  const around = [from > 0 ? sep(from) : undefined, to < groups.length - 1 ? sep(to + 1) : undefined];
  return around.every((s) => s === undefined || !inside.has(s));
}

function runOf(
  text: string,
  groups: Array<{ start: number; end: number }>,
  from: number,
  to: number,
  start: number,
  end: number,
): DigitRun {
  const slice = groups.slice(from, to + 1);
  const separators: string[] = [];
  for (let i = 1; i < slice.length; i += 1) separators.push(text.slice(slice[i - 1]?.end, slice[i]?.start));
  const runText = text.slice(start, end);
  return {
    text: runText,
    digits: slice.map((g) => text.slice(g.start, g.end)).join(""),
    groups: slice.map((g) => g.end - g.start),
    separators,
    plus: from === 0 && (runText.startsWith("+") || runText.startsWith("(+")),
  };
}

function classify(run: DigitRun): Omit<NumberHit, "start" | "end"> | undefined {
  const n = run.digits.length;
  if (isIpv4(run)) return { detector: "ipv4", confidence: 0.8 };
  if (n < 7) return undefined;
  if (n === 9 && isUsSsn(run)) return { detector: "us_ssn", confidence: 0.85 };
  if (n >= 13 && n <= 19 && !run.plus && isPaymentCard(run.digits, run.groups))
    return { detector: "payment_card", confidence: 0.95 };
  if (isPhone(run)) return { detector: "phone", confidence: run.plus ? 0.85 : 0.75 };
  return undefined;
}
