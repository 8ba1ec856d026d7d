import { openDataset } from "../../src/data/read/dataset.ts";
import { recordFields } from "../../src/data/records.ts";
import { buildCandidatePattern, countCandidates } from "../../src/data/scan/pattern.ts";

/**
 * The naive baseline: twelve independent detector regexes, each run over every string — the
 * way scanners are often first written. Also used to score naive precision and recall. Both
 * regex-only passes run over the same strings the scanner sees, already in memory, so they
 * measure scanning alone.
 */
export const NAIVE_REGEXES = {
  email: /[\w.+-]+@[\w-]+\.[\w.-]+/g,
  phone: /\+?\d{1,3}[\s.-]?\(?\d{2,4}\)?[\s.-]?\d{3,4}[\s.-]?\d{3,4}/g,
  payment_card: /\b(?:\d[ -]?){13,19}\b/g,
  us_ssn: /\b\d{3}-\d{2}-\d{4}\b/g,
  iban: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,4})?\b/g,
  ipv4: /\b(?:\d{1,3}\.){3}\d{1,3}\b/g,
  ipv6: /\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{0,4}\b/g,
  aws_access_key_id: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
  jwt: /\beyJ[\w-]+\.[\w-]+\.[\w-]+/g,
  github_token: /\bgh[pousr]_[A-Za-z0-9]{36}\b/g,
  slack_token: /\bxox[abpr]-[\w-]+/g,
  private_key: /-----BEGIN [A-Z ]*PRIVATE KEY-----/g,
} as const;

/** The strings the scanner sees (text fields and message contents), held in memory for the regex-only passes. */
export async function fieldStrings(path: string): Promise<string[]> {
  const strings: string[] = [];
  for await (const { record } of openDataset(path))
    for (const { value } of recordFields(record)) strings.push(value);
  return strings;
}

/** Matches of the twelve naive regexes: one full pass per regex over every string. */
export function naivePass(strings: readonly string[]): number {
  let matches = 0;
  for (const re of Object.values(NAIVE_REGEXES)) {
    for (const text of strings) {
      re.lastIndex = 0;
      while (re.exec(text) !== null) matches += 1;
    }
  }
  return matches;
}

/** Candidates of the scanner's pattern and literal anchors, no validation: the ceiling. */
export function candidatePass(strings: readonly string[], canaries: readonly string[]): number {
  const pattern = buildCandidatePattern(canaries);
  let matches = 0;
  for (const text of strings) matches += countCandidates(text, pattern);
  return matches;
}
