import { type DataRecord, recordFields } from "../records.ts";
import { ibanLength, ibanPrefixLength } from "./checks/iban.ts";
import { isIpv6 } from "./checks/ipv6.ts";
import { classifyToken, isAzureStorageKey, isJwt } from "./checks/tokens.ts";
import { classifyNumber } from "./digit-runs.ts";
import type { Finding, Hit } from "./findings.ts";
import { judgeKeyValue } from "./key-value.ts";
import { maskValue } from "./mask.ts";
import { buildCandidatePattern, type CandidatePattern } from "./pattern.ts";
import { privateKeyHit } from "./private-key.ts";

export interface ScannerOptions {
  /** The workspace's planted canary strings, matched literally. */
  canaries?: readonly string[];
}

/**
 * A PII and secret scanner. Each string gets one pass of a combined candidate pattern; each
 * candidate is confirmed by the validator of its kind (checksums, issuer and country tables,
 * structural checks, entropy); overlapping detections keep the most specific one.
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

  /** Detections in one string, sorted by start, without overlaps. */
  scanText(text: string): Hit[] {
    if (text.length < 6) return [];
    const { regex, group } = this.pattern;
    const hits: Hit[] = [];
    regex.lastIndex = 0;
    for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
      const at = m.index;
      const whole = m[0];
      let hit: Hit | undefined;
      let resumeAt = at + 1;
      if (m[group.number] !== undefined) {
        for (const h of classifyNumber(whole, text[at + whole.length] ?? "")) {
          if (h.detector === "ipv4" && /\bv(?:ersion)?\s?$/i.test(text.slice(Math.max(0, at - 9), at)))
            continue;
          hits.push({ ...h, start: at + h.start, end: at + h.end });
        }
        resumeAt = at + whole.length;
      } else if (m[group.email] !== undefined) {
        if (!whole.includes(".."))
          hit = { detector: "email", start: at, end: at + whole.length, confidence: 0.95 };
      } else if (m[group.token] !== undefined) {
        const verdict = classifyToken(whole);
        if (verdict) hit = { ...verdict, start: at, end: at + whole.length };
      } else if (m[group.kv] !== undefined) {
        const value = m[group.kvValue] ?? "";
        const valueStart = at + whole.length - value.length;
        hit = judgeKeyValue(text, at, whole.slice(0, whole.length - value.length), value, valueStart);
        // The value may itself be a specific credential (token=ghp_...): scan it again.
        resumeAt = valueStart;
      } else if (m[group.iban] !== undefined) {
        const length = ibanPrefixLength(whole);
        if (length > 0) hit = { detector: "iban", start: at, end: at + length, confidence: 0.99 };
        // A broken IBAN of a real IBAN country is skipped whole: its digit groups are not a card.
        else if (ibanLength(whole.slice(0, 2)) !== undefined) resumeAt = at + whole.length;
      } else if (m[group.ipv6] !== undefined) {
        if (isIpv6(whole)) hit = { detector: "ipv6", start: at, end: at + whole.length, confidence: 0.85 };
      } else if (m[group.jwt] !== undefined) {
        if (isJwt(whole)) hit = { detector: "jwt", start: at, end: at + whole.length, confidence: 0.95 };
      } else if (m[group.pkey] !== undefined) {
        hit = privateKeyHit(text, at);
      } else if (m[group.azure] !== undefined) {
        const key = whole.slice("AccountKey=".length);
        if (isAzureStorageKey(key))
          hit = { detector: "azure_storage_key", start: at + 11, end: at + whole.length, confidence: 0.95 };
      } else if (m[group.canary] !== undefined) {
        hit = { detector: "canary", start: at, end: at + whole.length, confidence: 1 };
      }
      if (hit) {
        hits.push(hit);
        if (hit.detector !== "generic_secret" && hit.detector !== "aws_secret_access_key") resumeAt = hit.end;
      }
      regex.lastIndex = resumeAt;
    }
    return resolveOverlaps(hits);
  }
}

/** Keeps, of overlapping hits, the specific detector over `generic_secret`, then the longer. */
function resolveOverlaps(hits: Hit[]): Hit[] {
  if (hits.length < 2) return hits;
  const rank = (h: Hit) => (h.detector === "generic_secret" ? 0 : 1) * 1e9 + (h.end - h.start);
  const sorted = [...hits].sort((a, b) => rank(b) - rank(a));
  const kept: Hit[] = [];
  for (const h of sorted) if (!kept.some((k) => h.start < k.end && k.start < h.end)) kept.push(h);
  return kept.sort((a, b) => a.start - b.start);
}
