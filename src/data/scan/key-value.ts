import { characterClasses, looksLikeNonSecret, shannonEntropy } from "./checks/entropy.ts";
import type { Hit } from "./findings.ts";

/** Shannon entropy (bits per character) a value next to a key-ish word needs to count as a secret. */
export const GENERIC_ENTROPY_THRESHOLD = 3.5;

/**
 * Judges a `key = value` candidate such as `aws_secret_access_key = "wJalr..."` or
 * `DB_PASSWORD: s3cr3t!Pass`, given the key-ish identifier, the value and the value's offset.
 * Returns a hit on the value, or undefined when it looks like one of the usual non-secrets.
 * @example judgeKeyValue("token", "Zm9vYmFyYmF6cXV4MTIzNDU2", 7) // generic_secret on [7, 31)
 */
export function judgeKeyValue(key: string, rawValue: string, valueStart: number): Hit | undefined {
  const value = rawValue.replace(/[.,;!]+$/, "");
  const end = valueStart + value.length;
  const identifier = key.toLowerCase();
  if (
    /aws|secret_?access/.test(identifier) &&
    /^[A-Za-z0-9/+]{40}$/.test(value) &&
    characterClasses(value) >= 3
  ) {
    return { detector: "aws_secret_access_key", start: valueStart, end, confidence: 0.9 };
  }
  if (looksLikeNonSecret(value)) return undefined;
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
