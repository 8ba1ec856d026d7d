import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Scanner } from "../../src/data/scan/scanner.ts";

/**
 * Two rules and their look-alikes, with values drawn here by fast-check, not by the labelled
 * set's makers: an address at a reserved or documentation domain is still an address (a model
 * memorises `jane.doe@example.com` like any other), and a Stripe publishable key is public by
 * design, in any context, while its secret siblings stay secrets.
 */
const scanner = new Scanner();
const found = (text: string) => scanner.scanText(text).map((h) => [h.detector, text.slice(h.start, h.end)]);

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const alnum = (min: number, max: number) =>
  fc.array(fc.constantFrom(...ALNUM), { minLength: min, maxLength: max }).map((cs) => cs.join(""));
/** A body Stripe would issue: random, so it mixes letters and digits. */
const keyBody = alnum(24, 99).filter((b) => /[A-Za-z]/.test(b) && /\d/.test(b) && new Set(b).size >= 12);
const word = fc
  .array(fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz"), { minLength: 2, maxLength: 10 })
  .map((cs) => cs.join(""));

const ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff"];
/** `value` with one format character strictly inside it, at `where` (0..1) of the way along. */
const withZeroWidth = (value: string, ch: string, where: number) => {
  const at = 1 + Math.floor(where * (value.length - 2));
  return value.slice(0, at) + ch + value.slice(at);
};
const inside = fc.tuple(fc.constantFrom(...ZERO_WIDTH), fc.double({ min: 0, max: 1, noNaN: true }));

/** RFC 2606 example domains and the reserved TLDs of RFC 2606 / 6761 (and mDNS `.local`). */
const RESERVED = fc.oneof(
  fc.constantFrom("example.com", "example.net", "example.org"),
  fc
    .tuple(
      word,
      fc.constantFrom("example.com", "example.org", "test", "example", "invalid", "localhost", "local"),
    )
    .map(([sub, rest]) => `${sub}.${rest}`),
);
const address = fc
  .tuple(word, fc.constantFrom(".", "_", "+", ""), word, RESERVED)
  .map(([a, sep, b, domain]) => `${a}${sep}${b}@${domain}`);

describe("e-mail addresses at reserved and documentation domains", () => {
  it("are found whole, in prose and in key = value lines", () => {
    fc.assert(
      fc.property(
        address,
        fc.constantFrom("write to {} today", "Reply-To: {}", 'user_email = "{}"'),
        (value, line) => {
          expect(found(line.replace("{}", value))).toEqual([["email", value]]);
        },
      ),
    );
  });

  it("are found whole with a zero-width character inside (the span covers it)", () => {
    fc.assert(
      fc.property(address, inside, (value, [ch, where]) => {
        const broken = withZeroWidth(value, ch, where);
        expect(found(`contact ${broken} now`)).toEqual([["email", broken]]);
      }),
    );
  });

  it("asset names and a bare host stay unflagged", () => {
    fc.assert(
      fc.property(
        word,
        fc.constantFrom("png", "svg", "webp", "js", "json"),
        fc.integer({ min: 2, max: 4 }),
        (name, ext, n) => {
          expect(found(`<img src="/${name}@${n}x.${ext}"> and ${name}@localhost`)).toEqual([]);
        },
      ),
    );
  });
});

describe("Stripe publishable keys are public, secret keys are not", () => {
  const publishable = fc.tuple(fc.constantFrom("pk_live_", "pk_test_"), keyBody).map(([p, b]) => p + b);
  const contexts = fc.constantFrom(
    "STRIPE_PUBLISHABLE_KEY={}",
    "stripe_publishable_key: {}",
    "STRIPE_KEY={}",
    "secret = {}",
    '{"publishableKey": "{}"}',
    "Stripe('{}')",
    "key {} in the page",
  );

  it("a publishable key is never flagged, in any context", () => {
    fc.assert(
      fc.property(publishable, contexts, (key, line) => {
        expect(found(line.replace("{}", key))).toEqual([]);
      }),
    );
  });

  it("nor with a zero-width character inside it", () => {
    fc.assert(
      fc.property(publishable, contexts, inside, (key, line, [ch, where]) => {
        expect(found(line.replace("{}", withZeroWidth(key, ch, where)))).toEqual([]);
      }),
    );
  });

  it("a live secret or restricted key is a stripe_key, plain or broken by a zero-width character", () => {
    const secret = fc.tuple(fc.constantFrom("sk_live_", "rk_live_"), keyBody).map(([p, b]) => p + b);
    fc.assert(
      fc.property(secret, contexts, inside, fc.boolean(), (key, line, [ch, where], broken) => {
        const value = broken ? withZeroWidth(key, ch, where) : key;
        expect(found(line.replace("{}", value))).toEqual([["stripe_key", value]]);
      }),
    );
  });

  it("a test secret key after a secret-ish name is still a generic secret", () => {
    fc.assert(
      fc.property(keyBody, fc.constantFrom("STRIPE_SECRET_KEY=", "stripe_api_key: "), (body, key) => {
        expect(found(`${key}sk_test_${body}`)).toEqual([["generic_secret", `sk_test_${body}`]]);
      }),
    );
  });
});
