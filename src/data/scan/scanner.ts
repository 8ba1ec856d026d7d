import { type DataRecord, recordFields } from "../records.ts";
import type { DetectorSpec, Span } from "./detector.ts";
import { type DetectorId, maskValue } from "./detectors.ts";
import { classifyNumber, labelledIdentifier } from "./digit-runs.ts";
import type { Finding, Hit } from "./findings.ts";
import { credentialAfter } from "./key-value.ts";
import { resolveOverlaps } from "./overlaps.ts";
import { branchOf, buildCandidatePattern, type CandidatePattern, nextCandidate, PLAN } from "./pattern.ts";

export interface ScannerOptions {
  /** The workspace's planted canary strings, matched literally. */
  canaries?: readonly string[];
}

/**
 * A PII and secret scanner. Each string gets native substring searches for the detectors' literal anchors and the canaries, and one pass
 * of a combined, character-gated candidate pattern (see `pattern.ts`); each candidate is
 * confirmed by its detector (checksums, issuer and country tables, structural checks, entropy,
 * the label word before a number); overlapping detections keep the most specific one.
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
          preview: maskValue(hit.detector, value.slice(hit.start, hit.end)),
        });
      }
    }
    return findings;
  }

  /** Detections in one string, sorted by start, without overlaps, in the string's own offsets. */
  scanText(text: string): Hit[] {
    if (text.length < 6) return [];
    return this.detect(text);
  }

  /** Detections in a string as it is. */
  private detect(text: string): Hit[] {
    const hits: Hit[] = [];
    this.literalAnchors(text, hits);
    this.patternPass(text, hits);
    return hits.length > 1 ? resolveOverlaps(hits) : hits;
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
      const inContext = h.detector.finder.inContext ?? ((t, s) => !labelledIdentifier(t, s));
      if (inContext(text, start, end)) hits.push(stamp(h.detector, { start, end, confidence: h.confidence }));
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
