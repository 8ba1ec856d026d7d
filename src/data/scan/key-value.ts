import { characterClasses, looksLikeNonSecret, shannonEntropy } from "./checks/entropy.ts";
import type { Hit } from "./findings.ts";

/** Shannon entropy (bits per character) a value next to a key-ish word needs to count as a secret. */
export const GENERIC_ENTROPY_THRESHOLD = 3.5;

/**
 * Judges a `keyword = value` candidate such as `aws_secret_access_key = "wJalr..."` or
 * `DB_PASSWORD: s3cr3t!Pass`. `key` is the matched keyword part, `keyStart` its offset; the
 * whole identifier it belongs to is read back from `text`. Returns a hit on the value, or
 * undefined when the value looks like one of the usual non-secrets.
 * @example judgeKeyValue("token: Zm9vYmFyYmF6cXV4MTIzNDU2", 0, "token: ", "Zm9vYmFyYmF6cXV4MTIzNDU2", 7)
 */
export function judgeKeyValue(
  text: string,
  keyStart: number,
  key: string,
  rawValue: string,
  valueStart: number,
): Hit | undefined {
  const value = rawValue.replace(/[.,;!]+$/, "");
  const end = valueStart + value.length;
  const identifier = (identifierBefore(text, keyStart) + key).toLowerCase();
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
    return {
      detector: "generic_secret",
      start: valueStart,
      end,
      confidence: Math.min(0.85, 0.6 + 0.1 * (entropy - GENERIC_ENTROPY_THRESHOLD)),
    };
  }
  if (/pass|pwd/.test(identifier) && value.length >= 8 && characterClasses(value) >= 3 && entropy >= 2.5) {
    return { detector: "generic_secret", start: valueStart, end, confidence: 0.6 };
  }
  return undefined;
}

/** The identifier characters directly before `at` (`aws_` before `secret_access_key`). */
function identifierBefore(text: string, at: number): string {
  let i = at;
  while (i > 0 && /[\w.-]/.test(text[i - 1] ?? "")) i -= 1;
  return text.slice(i, at);
}
