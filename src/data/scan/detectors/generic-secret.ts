import { looksLikeCode } from "../checks/code-like.ts";
import { characterClasses, looksLikeNonSecret, shannonEntropy } from "../checks/entropy.ts";
import { defineDetector } from "../detector.ts";
import { secretMask } from "../mask.ts";

/** Shannon entropy (bits per character) a value next to a key-ish word needs to count as a secret. */
export const GENERIC_ENTROPY_THRESHOLD = 3.5;

/**
 * A credential after a key-ish name (`client_secret: …`, `DB_PASSWORD=…`) that no specific
 * detector claimed: high entropy and mixed characters, or a password-ish key with a
 * password-like value; not the usual non-secrets, not source code (`authToken = this.session.token(`).
 */
export const genericSecret = defineDetector({
  id: "generic_secret",
  kind: "secret",
  placeholder: "[SECRET:generic_secret]",
  confidence: 0.6,
  finder: {
    keyValue(key, value, { next, trimmed }) {
      if (!trimmed && (next === "(" || next === "[")) return false;
      if (looksLikeCode(value) || looksLikeNonSecret(value)) return false;
      const entropy = shannonEntropy(value);
      if (value.length >= 16 && entropy >= GENERIC_ENTROPY_THRESHOLD && characterClasses(value) >= 2) {
        return Math.min(0.85, 0.6 + 0.1 * (entropy - GENERIC_ENTROPY_THRESHOLD));
      }
      return (
        /pass|pwd/.test(key.toLowerCase()) &&
        value.length >= 8 &&
        characterClasses(value) >= 3 &&
        entropy >= 2.5
      );
    },
  },
  mask: secretMask,
});
