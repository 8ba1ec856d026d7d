import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/core/digest.ts";
import { canonicalTextLine } from "../../src/data/read/canonical-line.ts";

/** A JSON string literal for `text`, escaping characters in any of the ways JSON allows. */
const literalOf = (text: string, escapeAll: boolean[]) =>
  [...text]
    .map((c, i) => {
      const code = c.codePointAt(0)!;
      const forced = escapeAll[i % escapeAll.length] ?? false;
      if (c === "/" && forced) return "\\/";
      if (forced && code < 0x10000) return `\\u${code.toString(16).padStart(4, "0").toUpperCase()}`;
      return JSON.stringify(c).slice(1, -1);
    })
    .join("");

describe("canonicalTextLine (the digest fast path)", () => {
  it("property: whenever it answers, it equals the canonical JSON of the parsed record", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 30 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
        fc.constantFrom("", " ", "\t", "  "),
        (text, escapes, ws) => {
          const raw = `${ws}{${ws}"text"${ws}:${ws}"${literalOf(text, escapes)}"${ws}}${ws}`;
          const parsed = JSON.parse(raw) as { text: string };
          expect(parsed.text).toBe(text);
          const fast = canonicalTextLine(raw);
          if (fast !== undefined) expect(fast).toBe(`${canonicalJson({ text })}\n`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("answers for lines written by JSON.stringify without quotes, \\u or \\/ escapes", () => {
    expect(canonicalTextLine(JSON.stringify({ text: "tab\there, é, \\ and\nnewline" }))).toBe(
      `${JSON.stringify({ text: "tab\there, é, \\ and\nnewline" })}\n`,
    );
  });

  it("declines when the literal could be more than one value or is escaped differently", () => {
    expect(canonicalTextLine('{"text":"a","text":"b"}')).toBeUndefined();
    expect(canonicalTextLine('{"text":"say \\"hi\\""}')).toBeUndefined();
    expect(canonicalTextLine('{"text":"caf\\u00e9"}')).toBeUndefined();
    expect(canonicalTextLine('{"text":"a\\/b"}')).toBeUndefined();
    expect(canonicalTextLine('{"te\\u0078t":"a"}')).toBeUndefined();
    expect(canonicalTextLine('["text"]')).toBeUndefined();
  });
});
