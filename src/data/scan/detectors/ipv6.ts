import { isWordChar } from "../chars.ts";
import { isIpv6 } from "../checks/ipv6.ts";
import { defineDetector } from "../detector.ts";

const HEX_COLON = /[0-9A-Fa-f:]/;

/**
 * IPv6 addresses, found at a colon with another colon close by (times such as 09:30 have one):
 * the hex-and-colon run around it (at most 45 characters each way) is a candidate when it
 * touches no word characters, dots or further colons and has at least two colons. The walk
 * resumes after the run either way, so a long run of colons is looked at once.
 */
export const ipv6 = defineDetector({
  id: "ipv6",
  kind: "pii",
  placeholder: "[IP]",
  confidence: 0.85,
  finder: {
    branch: { source: ":(?=[0-9A-Fa-f]{0,4}:)(?<=[0-9A-Fa-f:]:)|:(?=:[0-9A-Fa-f])", starts: ":" },
    find(text: string, at: number) {
      let start = at;
      let end = at + 1;
      while (start > 0 && at - start < 45 && HEX_COLON.test(text[start - 1] ?? "")) start -= 1;
      while (end < text.length && end - at < 45 && HEX_COLON.test(text[end] ?? "")) end += 1;
      let colons = 0;
      for (let i = start; i < end; i += 1) if (text.charCodeAt(i) === 58) colons += 1;
      const candidate = colons >= 2 && !isWordChar(text[start - 1], ".:") && !isWordChar(text[end], ":");
      return { hit: candidate && isIpv6(text.slice(start, end)) ? { start, end } : undefined, resumeAt: end };
    },
  },
  mask: (raw) => `${raw.split(":")[0] || ""}:****`,
});
