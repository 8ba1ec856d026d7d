import { type DataRecord, recordFields } from "../records.ts";
import { bridgeableBreaks, type LineBreak, OPEN_END } from "./breaks.ts";
import type { DetectorSpec, Span } from "./detector.ts";
import { type DetectorId, maskValue } from "./detectors.ts";
import { classifyNumber, labelledIdentifier } from "./digit-runs.ts";
import type { Finding, Hit } from "./findings.ts";
import { credentialAfter } from "./key-value.ts";
import { resolveOverlaps } from "./overlaps.ts";
import { branchOf, buildCandidatePattern, type CandidatePattern, nextCandidate, PLAN } from "./pattern.ts";
import { normalisedView, originalSpan, type View } from "./view.ts";

export interface ScannerOptions {
  /** The workspace's planted canary strings, matched literally. */
  canaries?: readonly string[];
}

/**
 * A PII and secret scanner. Each string is matched as it is and, when the character walk passes
 * a character its normalised view changes (`view.ts`: format characters removed, NFKC), again
 * in that view. A string gets native substring searches for the detectors' literal anchors and the canaries, and one pass
 * of a combined, character-gated candidate pattern (see `pattern.ts`); each candidate is
 * confirmed by its detector (checksums, issuer and country tables, structural checks, entropy,
 * the label word before a number); overlapping detections keep the most specific one. A value
 * cut by a line break is read again with the break bridged (`breaks.ts`). Spans are reported in
 * the original string (UTF-16 code units), covering every removed or bridged character inside.
 * @example
 * const scanner = new Scanner({ canaries: ["zebra-canary-17"] });
 * scanner.scanRecord({ text: "mail jane@acme.io" }, 0) // [{ detector: "email", field: "text", span: [5, 17], ... }]
 */
export class Scanner {
  private readonly pattern: CandidatePattern;

  constructor(options: ScannerOptions = {}) {
    this.pattern = buildCandidatePattern(options.canaries ?? []);
  }

  /** Findings for every string field of a record, in field order then span order. */
  scanRecord(record: DataRecord, index: number): Finding[] {
    const findings: Finding[] = [];
    for (const { field, value } of recordFields(record)) {
      for (const hit of this.scanText(value)) {
        findings.push({
          record: index,
          field,
          span: [hit.start, hit.end],
          detector: hit.detector,
          confidence: hit.confidence,
          preview: maskValue(hit.detector, compactValue(value.slice(hit.start, hit.end))),
        });
      }
    }
    return findings;
  }

  /** Detections in one string, sorted by start, without overlaps, in the string's own offsets. */
  scanText(text: string): Hit[] {
    if (text.length < 6) return [];
    this.pattern.sawChange = false;
    const hits = this.detect(text);
    // The character walk passes every non-ASCII code unit: it says whether the view differs.
    if (!this.pattern.sawChange) return this.withBridges(text, hits);
    const view = normalisedView(text);
    const viewHits = this.withBridges(view.text, this.detect(view.text));
    return view.from ? viewHits.map((h) => toOriginal(view, h)) : viewHits;
  }

  private withBridges(text: string, hits: Hit[]): Hit[] {
    const breaks = bridgeableBreaks(text);
    return breaks.length > 0 ? this.bridge(text, hits, breaks) : hits;
  }

  /** Detections in a string as it is. */
  private detect(text: string): Hit[] {
    const hits: Hit[] = [];
    this.literalAnchors(text, hits);
    this.patternPass(text, hits);
    return hits.length > 1 ? resolveOverlaps(hits) : hits;
  }

  /**
   * Adds the values that run across a line break. Each break is bridged in a window around it
   * and read again; when something that would count runs through the joint, or is cut by the
   * window's edge, the whole string is read again with that break bridged (so far look-arounds such as a PEM key's END line are seen), at most
   * WHOLE_READS times per string, after which the window's reading stands. A detection through
   * the joint joins the others (the longer wins an overlap) unless `crossesBreak` says no.
   */
  private bridge(text: string, hits: Hit[], breaks: readonly LineBreak[]): Hit[] {
    const added: Hit[] = [];
    let wholeReads = WHOLE_READS;
    for (const brk of breaks) {
      // A value already found across the break (a PEM body's lines) needs no mending.
      const around = hits[firstEndingAfter(hits, brk.end)];
      if (around && around.start < brk.start) continue;
      const counts = (f: { hit: Hit; clipped: boolean }) =>
        !f.clipped && crossesBreak(text, hits, brk, f.hit);
      let found = this.acrossBreak(text, brk, widened(brk.window, hits));
      if (found.some((f) => f.clipped || counts(f)) && wholeReads > 0) {
        wholeReads -= 1;
        found = this.acrossBreak(text, brk, [0, text.length]);
      }
      for (const f of found) if (counts(f)) added.push(f.hit);
    }
    return added.length > 0 ? resolveOverlaps([...hits, ...added]) : hits;
  }

  /** Detections through the bridged break in `[from, to)`; `clipped` when one touches a cut edge. */
  private acrossBreak(
    text: string,
    brk: LineBreak,
    [from, to]: readonly [number, number],
  ): Array<{ hit: Hit; clipped: boolean }> {
    const left = text.slice(from, brk.start);
    const joint = left.length + brk.joiner.length;
    // join() builds a flat string: a concatenation (a rope) or a slice would give the character
    // walk more string shapes to handle and slow it down everywhere.
    const joined = [left, brk.joiner, text.slice(brk.end, to)].join("");
    const found: Array<{ hit: Hit; clipped: boolean }> = [];
    for (const h of this.detect(joined)) {
      if (h.start >= left.length || h.end <= joint) continue;
      const clipped = (h.start === 0 && from > 0) || (h.end === joined.length && to < text.length);
      found.push({ hit: { ...h, start: from + h.start, end: brk.end + (h.end - joint) }, clipped });
    }
    return found;
  }

  /** Canaries, then each anchor literal by indexOf, expanded by its detectors. */
  private literalAnchors(text: string, hits: Hit[]): void {
    const { canaries } = this.pattern;
    if (canaries) {
      canaries.lastIndex = 0;
      for (let m = canaries.exec(text); m !== null; m = canaries.exec(text)) {
        hits.push({ detector: "canary", start: m.index, end: m.index + m[0].length, confidence: 1 });
      }
    }
    for (const { literal, detectors } of PLAN.anchors) {
      for (let at = text.indexOf(literal); at !== -1; at = text.indexOf(literal, at + literal.length)) {
        for (const detector of detectors) {
          const span = detector.finder.find(text, at);
          if (span) hits.push(stamp(detector, span));
        }
      }
    }
  }

  /** The combined regex pass: each candidate goes to its branch's detector or shared source. */
  private patternPass(text: string, hits: Hit[]): void {
    // Separators inside a value already judged (`token=token=…`) are not judged again.
    let judgedUntil = -1;
    let from = 0;
    for (
      let m = nextCandidate(text, from, this.pattern);
      m !== null;
      m = nextCandidate(text, from, this.pattern)
    ) {
      const at = m.index;
      const branch = branchOf(m, this.pattern);
      let resumeAt = at + 1;
      if (branch.kind === "number") {
        this.numbers(text, at, m[0], hits);
        resumeAt = at + m[0].length;
      } else if (branch.kind === "keyValue") {
        const credential = at < judgedUntil ? undefined : credentialAfter(text, at, PLAN.keyValues);
        if (credential) {
          if (credential.hit) hits.push(stamp(credential.hit.detector, credential.hit));
          judgedUntil = credential.valueEnd;
          // The value may itself be a specific credential (token=ghp_...): scan it again.
          resumeAt = credential.valueStart;
        }
      } else {
        const { hit, resumeAt: resume } = branch.detector.finder.find(text, at, m[0]);
        if (hit) hits.push(stamp(branch.detector, hit));
        resumeAt = hit ? hit.end : (resume ?? resumeAt);
      }
      from = Math.max(resumeAt, at + 1);
    }
  }

  /** The numbers in a run of digit groups at `at`, judged by the digit detectors. */
  private numbers(text: string, at: number, run: string, hits: Hit[]): void {
    for (const h of classifyNumber(run, text[at + run.length] ?? "", PLAN.digits)) {
      const start = at + h.start;
      const end = at + h.end;
      const { inContext } = h.detector.finder;
      if (inContext ? inContext(text, start, end) : !labelledIdentifier(text, start)) {
        hits.push(stamp(h.detector, { start, end, confidence: h.confidence }));
      }
    }
  }
}

function stamp(detector: DetectorSpec, span: Span): Hit {
  return {
    detector: detector.id as DetectorId,
    start: span.start,
    end: span.end,
    confidence: span.confidence ?? detector.confidence,
  };
}

/**
 * The window, widened to take in whole any detection it cuts: a value found up to a break (a
 * PEM block whose END line is broken) is read again from its start.
 */
function widened([from, to]: readonly [number, number], hits: readonly Hit[]): [number, number] {
  const cut = (at: number) => hits[firstEndingAfter(hits, at)];
  const left = cut(from);
  const right = cut(to);
  return [
    left && left.start < from ? left.start : from,
    right && right.start < to ? Math.max(to, right.end) : to,
  ];
}

/** Index of the first hit ending after `at` (hits are sorted and do not overlap, so ends rise too). */
function firstEndingAfter(hits: readonly Hit[], at: number): number {
  let lo = 0;
  let hi = hits.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (hits[mid]!.end <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const LOWER_WORD = /^[a-z]{3,}$/;

/** Whole-string re-reads for bridged breaks per string: bounded work on hostile input. */
const WHOLE_READS = 8;

/**
 * A line that starts with a key (`PORT=3000`, `Phone: …`); not IPv6 groups (`ab:cd`) nor the
 * end of a base64 value (`…Rw==;`, `…Rw=`).
 */
const NEXT_LINE_KEY = /^[A-Za-z_][\w.-]*\s*(?:=(?=[^=;,"'\r\n])|:(?![:0-9A-Fa-f]))/;

/**
 * Whether a detection through a bridged break counts: not when the part after the break is the
 * next line's key (`PORT=`, `Phone:`), nor when it cuts into a detection of either side, nor
 * when what it adds after the break is a lower-case word (`eyJ…` / `end of dump`,
 * `token: <uuid>` / `why`), nor when a detection of the same detector already ends or starts at
 * the break and the detector keeps it apart from what the bridge would add (`keepsApart`).
 */
function crossesBreak(text: string, hits: readonly Hit[], brk: LineBreak, hit: Hit): boolean {
  if (NEXT_LINE_KEY.test(text.slice(brk.end, brk.end + 80))) return false;
  // A value found on one side that the reading would cut into (`jane@acme.io` / `bob@x.com`)
  // is another value: the reading joins two, it does not mend one.
  for (let i = firstEndingAfter(hits, hit.start); i < hits.length && hits[i]!.start < hit.end; i += 1) {
    if (hits[i]!.start < hit.start || hits[i]!.end > hit.end) return false;
  }
  // A value at a line's end followed by a word is far more common than a value broken right
  // before letters that happen to spell one (unless no value ends there: `jane@uni.` / `edu`).
  if (!OPEN_END.test(text[brk.start - 1] ?? "") && LOWER_WORD.test(text.slice(brk.end, hit.end)))
    return false;
  const keepsApart = PLAN.byId.get(hit.detector)?.keepsApart;
  if (!keepsApart) return true;
  // Hits are sorted and do not overlap: the ones touching the break are found by search.
  const i = firstEndingAfter(hits, brk.start - 1);
  const touching = [hits[i], hits[i + 1]].filter(
    (h): h is Hit => h !== undefined && h.detector === hit.detector,
  );
  const before = touching.some((h) => h.end === brk.start && h.start >= hit.start);
  const after = touching.some((h) => h.start === brk.end && h.end <= hit.end);
  return !(
    (before && keepsApart(text.slice(brk.end, hit.end), "tail")) ||
    (after && keepsApart(text.slice(hit.start, brk.start), "head"))
  );
}

function toOriginal(view: View, hit: Hit): Hit {
  const [start, end] = originalSpan(view, hit.start, hit.end);
  return { ...hit, start, end };
}

/** A value as a preview shows it: format characters and line breaks dropped, NFKC applied. */
function compactValue(raw: string): string {
  return normalisedView(raw).text.replace(/[ \t]*[\r\n\u2028\u2029][ \t]*/g, "");
}
