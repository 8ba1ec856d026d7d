import { open } from "node:fs/promises";
import { buildCandidatePattern, countCandidates } from "../../src/data/scan/pattern.ts";

/**
 * The naive baseline: twelve independent detector regexes, each run over every string — the
 * way scanners are often first written. Also used to score naive precision and recall.
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

/** Runs `visit` over the file's text in chunks of about 4 MiB, split at line ends. */
export async function forEachTextChunk(path: string, visit: (text: string) => void): Promise<void> {
  const handle = await open(path, "r");
  const decoder = new TextDecoder("utf-8");
  const buffer = new Uint8Array(4 << 20);
  let carry = "";
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const text = carry + decoder.decode(buffer.subarray(0, bytesRead), { stream: true });
      const cut = text.lastIndexOf("\n") + 1;
      visit(text.slice(0, cut));
      carry = text.slice(cut);
    }
    visit(carry + decoder.decode());
  } finally {
    await handle.close();
  }
}

/** Matches of the twelve naive regexes over the file, one full pass per regex. */
export async function naivePass(path: string): Promise<number> {
  let matches = 0;
  await forEachTextChunk(path, (text) => {
    for (const re of Object.values(NAIVE_REGEXES)) {
      re.lastIndex = 0;
      while (re.exec(text) !== null) matches += 1;
    }
  });
  return matches;
}

/** Candidates of the scanner's pattern and literal anchors over the file, no validation (the ceiling). */
export async function candidatePass(path: string, canaries: readonly string[]): Promise<number> {
  const pattern = buildCandidatePattern(canaries);
  let matches = 0;
  await forEachTextChunk(path, (text) => {
    matches += countCandidates(text, pattern);
  });
  return matches;
}
