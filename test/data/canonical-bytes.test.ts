import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/core/digest.ts";
import { canonicalJsonlInto } from "../../src/data/read/canonical-bytes.ts";
import { CHAT_ROLES, type DataRecord, normaliseRecord } from "../../src/data/records.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/** The canonical line copied from `raw`, or undefined when it declines. */
function fast(raw: string): string | undefined {
  const record = normaliseRecord(JSON.parse(raw), { file: "t.jsonl", line: 1 });
  const source = bytes(raw);
  const out = new Uint8Array(source.length + 8).fill(0xee);
  const written = canonicalJsonlInto(source, record, out, 3);
  if (written === -1) {
    expect(out.every((b) => b === 0xee)).toBe(true); // nothing written when it declines
    return undefined;
  }
  return decode(out.subarray(3, 3 + written));
}

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

// Well-formed strings: a lone surrogate cannot be written as UTF-8.
const text = fc.string({ unit: "grapheme", maxLength: 30 });
const messages = fc.array(fc.record({ role: fc.constantFrom(...CHAT_ROLES), content: text }), {
  minLength: 1,
  maxLength: 4,
});

describe("canonicalJsonlInto (the digest fast path)", () => {
  it("property: lines written by JSON.stringify are copied, and equal the canonical JSON", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          text.map((t) => ({ text: t })),
          messages.map((m) => ({ messages: m })),
        ),
        (r) => {
          const raw = JSON.stringify(r);
          const expected = `${canonicalJson(r as DataRecord)}\n`;
          // stringify writes \u only for rare control characters: every other line is copied
          expect(fast(raw)).toBe(raw.includes("\\u") ? undefined : expected);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("property: whenever it answers for a hand-written line, it equals the canonical JSON", () => {
    fc.assert(
      fc.property(
        text,
        text,
        fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
        fc.constantFrom("", " "),
        fc.constantFrom("", ',"id":7'),
        (a, b, escapes, ws, extra) => {
          const lines = [
            `{${ws}"text":${ws}"${literalOf(a, escapes)}"${extra}}`,
            `{"messages":[{"role":"user","content":"${literalOf(a, escapes)}"${extra}},${ws}{"role":"assistant","content":"${literalOf(b, escapes)}"}]}`,
          ];
          for (const raw of lines) {
            const record = normaliseRecord(JSON.parse(raw), { file: "t.jsonl", line: 1 });
            const copied = fast(raw);
            if (copied !== undefined) expect(copied).toBe(`${canonicalJson(record)}\n`);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("reorders chat keys and keeps escaped quotes and backslashes", () => {
    expect(
      fast('{"messages":[{"role":"user","content":"say \\"hi\\" \\\\"},{"role":"tool","content":""}]}'),
    ).toBe('{"messages":[{"content":"say \\"hi\\" \\\\","role":"user"},{"content":"","role":"tool"}]}\n');
    expect(fast('{"text":"tab\\there, é — ok"}')).toBe('{"text":"tab\\there, é — ok"}\n');
  });

  it("declines what it cannot copy: escapes stringify would write differently, whitespace, other keys", () => {
    for (const raw of [
      '{"text":"caf\\u00e9"}',
      '{"text":"a\\/b"}',
      '{"text":"a","text":"b"}',
      '{ "text":"a"}',
      '{"text":"a","id":1}',
      '{"te\\u0078t":"a"}',
      '{"messages":[{"content":"hi","role":"user"}]}',
      '{"messages":[{"role":"user","content":"hi","name":"x"}]}',
      '{"messages":[{"role":"user","content":"hi"}],"id":2}',
      '{"messages":[{"role":"us\\u0065r","content":"hi"}]}',
    ]) {
      expect(fast(raw), raw).toBeUndefined();
    }
  });
});
