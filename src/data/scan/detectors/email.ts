import { isWordChar } from "../chars.ts";
import { defineDetector } from "../detector.ts";

/** Characters of an e-mail local part. */
const LOCAL = /[A-Za-z0-9._%+-]/;
const DOMAIN =
  /[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])/y;
/**
 * File extensions that follow an `@` in asset names (`logo@2x.png`, `icon@3x.webp`): no mailbox.
 * Reserved and documentation domains are addresses all the same: `jane.doe@example.com`,
 * `admin@site.test`, `ops@db.localhost`, `x@y.invalid`, `dev@mbp.local` are flagged. The local
 * part is what names a person, a model memorises it whatever the domain, and real datasets are
 * full of them (RFC 2606 / 6761 reserve the names for DNS, which says nothing about who is in the
 * text). A bare `user@localhost` has no dot and is no address shape (`DOMAIN` needs a TLD).
 */
const ASSET_NAME = /\.(?:png|jpe?g|gif|svg|webp|ico|css|m?js|tsx?|jsx|json|html?|ya?ml|xml|lock|map)$/i;

/**
 * The e-mail address around an `@`: the local part is read backwards (up to 64 characters,
 * starting with a letter or digit), the domain forwards (labels and an alphabetic top-level
 * domain). Asset names (`icon@2x.png`) are no address; reserved and example domains are.
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
      if (!domain || ASSET_NAME.test(domain[0])) return undefined;
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
