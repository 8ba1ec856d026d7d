import { characterClasses, looksLikeNonSecret, shannonEntropy } from "./checks/entropy.ts";
import type { Hit } from "./findings.ts";

/** Shannon entropy (bits per character) a value next to a key-ish word needs to count as a secret. */
export const GENERIC_ENTROPY_THRESHOLD = 3.5;

/** Source code, not a secret: member paths, negations, URLs, constants. */
const CODE_LIKE: readonly RegExp[] = [
  /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/, // this.options.token, exports.AuthMessage
  /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/, // CONSTANT_CASE identifiers
  /^!/, // !!flag
  /:\/\//, // URLs
];

/**
 * Share of a value covered by word-like runs (`Authentication`, `token`, `Start`): letters
 * with vowels in them, as words have. Identifiers and paths are mostly words; random secrets
 * almost never are (measured: 0.04% of random base62 strings reach 70%, against 0.2% when
 * vowels are not required).
 */
function wordCoverage(value: string): number {
  let covered = 0;
  for (const m of value.matchAll(/[A-Z]?[a-z]{3,}/g)) {
    const vowels = m[0].match(/[aeiouyAEIOUY]/g)?.length ?? 0;
    if (vowels / m[0].length >= 0.2) covered += m[0].length;
  }
  return covered / value.length;
}

/**
 * Whether a value next to a key-ish word is source code or a path rather than a secret
 * (`authToken = this.session.token`, `AuthenticationMD5Password`, `PWD: /Users/me/src`).
 * @example looksLikeCode("allowPositionInLeadingTrivia") // true
 */
export function looksLikeCode(value: string): boolean {
  if (CODE_LIKE.some((pattern) => pattern.test(value))) return true;
  const coverage = wordCoverage(value);
  return coverage >= 0.7 || (/^(?:\.{0,2}\/|~\/)/.test(value) && coverage >= 0.5);
}

/**
 * Judges a `key = value` candidate such as `aws_secret_access_key = "wJalr..."` or
 * `DB_PASSWORD: s3cr3t!Pass`, given the key-ish identifier, the value, the value's offset and
 * the character after it. Returns a hit on the value, or undefined when it looks like one of
 * the usual non-secrets, or like source code (`authToken = this.session.token(`).
 * @example judgeKeyValue("token", "Zm9vYmFyYmF6cXV4MTIzNDU2", 7) // generic_secret on [7, 31)
 */
export function judgeKeyValue(key: string, rawValue: string, valueStart: number, next = ""): Hit | undefined {
  const value = rawValue.replace(/[.,;!]+$/, "");
  const end = valueStart + value.length;
  const identifier = key.toLowerCase();
  const base64 = /^[A-Za-z0-9/+]{40}$/.test(value);
  if (/aws|secret_?access/.test(identifier) && base64 && characterClasses(value) >= 3) {
    return { detector: "aws_secret_access_key", start: valueStart, end, confidence: 0.9 };
  }
  if (value.length === rawValue.length && (next === "(" || next === "[")) return undefined;
  if (looksLikeCode(value) || looksLikeNonSecret(value)) return undefined;
  const entropy = shannonEntropy(value);
  if (value.length >= 16 && entropy >= GENERIC_ENTROPY_THRESHOLD && characterClasses(value) >= 2) {
    const confidence = Math.min(0.85, 0.6 + 0.1 * (entropy - GENERIC_ENTROPY_THRESHOLD));
    return { detector: "generic_secret", start: valueStart, end, confidence };
  }
  if (/pass|pwd/.test(identifier) && value.length >= 8 && characterClasses(value) >= 3 && entropy >= 2.5) {
    return { detector: "generic_secret", start: valueStart, end, confidence: 0.6 };
  }
  return undefined;
}
