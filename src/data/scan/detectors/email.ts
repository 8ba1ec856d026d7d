import { isWordChar } from "../chars.ts";
import { defineDetector } from "../detector.ts";

/** Characters of an e-mail local part. */
const LOCAL = /[A-Za-z0-9._%+-]/;
const DOMAIN =
  /[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])/y;
/**
 * Domains that name no one's mailbox: the reserved example domains and TLDs (RFC 2606, 6761)
 * and file extensions that follow an `@` in asset names (`logo@2x.png`).
 */
const NOT_A_MAILBOX =
  /(?:^|\.)example\.(?:com|org|net)$|\.(?:example|test|invalid|localhost|local|png|jpe?g|gif|svg|webp|ico|css|m?js|tsx?|jsx|json|html?|ya?ml|xml|lock|map)$/i;

/**
 * The e-mail address around an `@`: the local part is read backwards (up to 64 characters,
 * starting with a letter or digit), the domain forwards (labels and an alphabetic top-level
 * domain). Reserved example domains and asset names (`icon@2x.png`) are no address.
 */
export const email = defineDetector({
  id: "email",
  kind: "pii",
  placeholder: "[EMAIL]",
  confidence: 0.95,
  finder: {
    anchor: "@",
    find(text: string, at: number) {
      let start = at;
      while (start > 0 && at - start < 64 && LOCAL.test(text[start - 1] ?? "")) start -= 1;
      if (start > 0 && LOCAL.test(text[start - 1] ?? "")) return undefined; // local part too long
      while (start < at && !isWordChar(text[start])) start += 1;
      if (start === at || text.slice(start, at).includes("..")) return undefined;
      DOMAIN.lastIndex = at + 1;
      const domain = DOMAIN.exec(text);
      if (!domain || NOT_A_MAILBOX.test(domain[0])) return undefined;
      return { start, end: at + 1 + domain[0].length };
    },
  },
  mask(raw) {
    const domain = raw.slice(raw.lastIndexOf("@") + 1);
    return `${raw[0]}***@${domain[0]}***${domain.slice(domain.lastIndexOf("."))}`;
  },
  // A name on the line above (`Jane Doe`) or a word below (`Thanks`) is not part of the address;
  // a broken local part or domain (`ja` / `ne@acme.io`, `acme.co` / `m`) is lower case.
  keepsApart: (piece) => /^[A-Z][a-z]+$/.test(piece),
});
