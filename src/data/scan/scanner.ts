import { type DataRecord, recordFields } from "../records.ts";
import { azureKeyAfter, credentialAfter, emailAt, hexColonRun, isWordChar, tokenStart } from "./anchors.ts";
import { ibanLength, ibanPrefixLength } from "./checks/iban.ts";
import { isIpv6 } from "./checks/ipv6.ts";
import { classifyToken, isJwt } from "./checks/tokens.ts";
import { classifyNumber } from "./digit-runs.ts";
import type { Finding, Hit } from "./findings.ts";
import { maskValue } from "./mask.ts";
import { buildCandidatePattern, type CandidatePattern, nextCandidate } from "./pattern.ts";
import { privateKeyHit } from "./private-key.ts";

export interface ScannerOptions {
  /** The workspace's planted canary strings, matched literally. */
  canaries?: readonly string[];
}

/**
 * A PII and secret scanner. Each string gets native substring searches for a few literal
 * anchors (canaries, `@`, `eyJ`, `-----BEGIN`) and one pass of a combined, character-gated
 * candidate pattern (see `pattern.ts`); each candidate is confirmed by the validator of its
 * kind (checksums, issuer and country tables, structural checks, entropy, the label word before
 * a number); overlapping detections keep the most specific one.
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
    const hits: Hit[] = [];
    this.literalAnchors(text, hits);
    this.patternPass(text, hits);
    return hits.length > 0 ? resolveOverlaps(hits) : hits;
  }

  /** Canaries, e-mails (`@`), JWTs (`eyJ`) and PEM private keys (`-----BEGIN`), by indexOf. */
  private literalAnchors(text: string, hits: Hit[]): void {
    const { canaries } = this.pattern;
    if (canaries) {
      canaries.lastIndex = 0;
      for (let m = canaries.exec(text); m !== null; m = canaries.exec(text)) {
        hits.push({ detector: "canary", start: m.index, end: m.index + m[0].length, confidence: 1 });
      }
    }
    for (let at = text.indexOf("@"); at !== -1; at = text.indexOf("@", at + 1)) {
      const hit = emailAt(text, at);
      if (hit) hits.push(hit);
    }
    // `yJ`, then the `e` before it: a search led by the commonest letter of English is slow.
    for (let at = text.indexOf("yJ", 1); at !== -1; at = text.indexOf("yJ", at + 2)) {
      if (text.charCodeAt(at - 1) !== 101) continue;
      const hit = jwtAt(text, at - 1);
      if (hit) hits.push(hit);
    }
    for (let at = text.indexOf("-----BEGIN"); at !== -1; at = text.indexOf("-----BEGIN", at + 10)) {
      const hit = privateKeyHit(text, at);
      if (hit) hits.push(hit);
    }
  }

  /** The combined regex pass: tokens, key = value, IPv6, Azure keys, IBANs and numbers. */
  private patternPass(text: string, hits: Hit[]): void {
    const { group } = this.pattern;
    // Separators inside a value already judged (`token=token=…`) are not judged again.
    let judgedUntil = -1;
    let from = 0;
    for (
      let m = nextCandidate(text, from, this.pattern);
      m !== null;
      m = nextCandidate(text, from, this.pattern)
    ) {
      const at = m.index;
      const whole = m[0];
      const end = at + whole.length;
      const before = text[at - 1];
      let hit: Hit | undefined;
      let resumeAt = at + 1;
      if (m[group.number] !== undefined) {
        this.numbers(text, at, whole, hits);
        resumeAt = end;
      } else if (m[group.keySeparator] !== undefined) {
        const credential = at < judgedUntil ? undefined : credentialAfter(text, at);
        if (credential) {
          hit = credential.hit;
          judgedUntil = credential.valueEnd;
          // The value may itself be a specific credential (token=ghp_...): scan it again.
          resumeAt = credential.valueStart;
        }
      } else if (m[group.hexColon] !== undefined) {
        const run = hexColonRun(text, at);
        if (run.candidate && isIpv6(text.slice(run.start, run.end))) {
          hit = { detector: "ipv6", start: run.start, end: run.end, confidence: 0.85 };
        }
        resumeAt = run.end;
      } else if (m[group.azureKey] !== undefined) {
        hit = azureKeyAfter(text, at);
      } else if (m[group.iban] !== undefined) {
        if (!isWordChar(before)) {
          const length = ibanPrefixLength(whole);
          if (length > 0) hit = { detector: "iban", start: at, end: at + length, confidence: 0.99 };
          // A broken IBAN of a real IBAN country is skipped whole: its digit groups are not a card.
          else if (ibanLength(whole.slice(0, 2)) !== undefined) resumeAt = end;
        }
      } else if (m[group.token] !== undefined) {
        const start = tokenStart(text, at);
        if (!isWordChar(text[start - 1], "-") && !isWordChar(text[end], "-")) {
          const verdict = classifyToken(text.slice(start, end));
          if (verdict) hit = { ...verdict, start, end };
        }
      }
      if (hit) {
        hits.push(hit);
        if (hit.detector !== "generic_secret" && hit.detector !== "aws_secret_access_key") resumeAt = hit.end;
      }
      from = Math.max(resumeAt, at + 1);
    }
  }

  /** Cards, SSNs, IPv4 addresses and phone numbers in a run of digit groups at `at`. */
  private numbers(text: string, at: number, run: string, hits: Hit[]): void {
    const found = classifyNumber(run, text[at + run.length] ?? "");
    if (found.length === 0) return;
    const before = text.slice(Math.max(0, at - 28), at);
    for (const h of found) {
      if (
        h.detector === "ipv4"
          ? notAnAddress(text, at + h.end, before)
          : h.start === 0 && IDENTIFIER_BEFORE.test(before)
      ) {
        continue;
      }
      hits.push({ ...h, start: at + h.start, end: at + h.end });
    }
  }
}

/**
 * A dotted quad that is a version (`version 1.2.3.4`, `11.3.244.8-node.9`), a section number
 * (`section 24.5.1.1`) or the start of a host name (`10.10.10.10.example.com`).
 */
function notAnAddress(text: string, end: number, before: string): boolean {
  return VERSION_BEFORE.test(before) || /^(?:\.[A-Za-z0-9]|-[A-Za-z])/.test(text.slice(end, end + 2));
}

/** Words after which a dotted quad is a version or a section number. */
const VERSION_BEFORE = /\b(?:v|version|section|sect|§|chapter|clause|rule|step|oid)\.?\s?$/i;

/**
 * A number right after a word that labels an identifier (`Invoice No. 415-867-5309`,
 * `SKU 4006381333931`, `part #512-34-8876`) is that identifier, whatever its shape.
 */
const IDENTIFIER_BEFORE =
  /\b(?:order|invoice|inv|ref|reference|tracking|serial|part|sku|ean|gtin|upc|isbn|ticket|case|item|model|po)\.?(?:\s*(?:no\.?|num(?:ber)?|id|#))?\s*[:#]?\s*#?$/i;

const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/y;

/** A JSON Web Token starting at `at` (where `eyJ` was found). */
function jwtAt(text: string, at: number): Hit | undefined {
  if (isWordChar(text[at - 1], "-")) return undefined;
  JWT.lastIndex = at;
  const token = JWT.exec(text)?.[0];
  return token && isJwt(token)
    ? { detector: "jwt", start: at, end: at + token.length, confidence: 0.95 }
    : undefined;
}

/** Keeps, of overlapping hits, the specific detector over `generic_secret`, then the longer. */
function resolveOverlaps(hits: Hit[]): Hit[] {
  if (hits.length < 2) return hits;
  const sorted = [...hits].sort((a, b) => a.start - b.start);
  // Overlaps are rare: resolve each cluster of overlapping hits on its own, so the cost stays
  // O(n log n) even for a string holding a hundred thousand hits.
  const kept: Hit[] = [];
  let cluster: Hit[] = [];
  let clusterEnd = -1;
  for (const h of sorted) {
    if (h.start >= clusterEnd && cluster.length > 0) {
      kept.push(...bestOf(cluster));
      cluster = [];
    }
    cluster.push(h);
    clusterEnd = Math.max(clusterEnd, h.end);
  }
  kept.push(...bestOf(cluster));
  return kept;
}

/** Within overlapping hits: specific detectors before `generic_secret`, then longer first. */
function bestOf(cluster: Hit[]): Hit[] {
  if (cluster.length === 1) return cluster;
  const rank = (h: Hit) => (h.detector === "generic_secret" ? 0 : 1) * 1e9 + (h.end - h.start);
  const kept: Hit[] = [];
  for (const h of [...cluster].sort((a, b) => rank(b) - rank(a))) {
    if (!kept.some((k) => h.start < k.end && k.start < h.end)) kept.push(h);
  }
  return kept.sort((a, b) => a.start - b.start);
}
