import { isWordChar } from "../chars.ts";
import { ibanLength, ibanPrefixLength } from "../checks/iban.ts";
import { defineDetector, MISS } from "../detector.ts";

/** IBANs, compact or in groups of four: the registry's length per country and mod-97. */
export const iban = defineDetector({
  id: "iban",
  kind: "pii",
  placeholder: "[IBAN]",
  confidence: 0.99,
  finder: {
    branch: {
      source: String.raw`[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?`,
      starts: "A-Z",
      next: ["A-Z", "0-9", "0-9"],
    },
    find(text, at, match) {
      if (isWordChar(text[at - 1])) return MISS;
      const length = ibanPrefixLength(match);
      if (length > 0) return { hit: { start: at, end: at + length } };
      // A broken IBAN of a real IBAN country is skipped whole: its digit groups are not a card.
      return ibanLength(match.slice(0, 2)) !== undefined ? { resumeAt: at + match.length } : MISS;
    },
  },
  mask(raw) {
    const compact = raw.replace(/\s/g, "");
    return `${compact.slice(0, 4)} ${"*".repeat(compact.length - 6)}${compact.slice(-2)}`;
  },
});
