import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redactClean } from "../../src/data/redact.ts";
import { ALL_DETECTORS, type DetectorId, placeholder } from "../../src/data/scan/detectors.ts";
import { Scanner } from "../../src/data/scan/scanner.ts";
import { defaultCanaries } from "../support/scan/labelled.ts";
import { POSITIVE_MAKERS } from "../support/scan/labelled-values.ts";
import { SeededRandom } from "../support/scan/random.ts";

const canaries = defaultCanaries(5);
const scanner = new Scanner({ canaries });

/** Every format character (Unicode Cf) there is, from the runtime's own Unicode tables. */
const FORMAT_CHARS = (() => {
  const out: string[] = [];
  for (let cp = 0x80; cp <= 0x10ffff; cp += 1) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const ch = String.fromCodePoint(cp);
    if (/\p{Cf}/u.test(ch)) out.push(ch);
  }
  return out;
})();

/** A true value of `detector` from the labelled set's value makers, in a line of text. */
function planted(detector: DetectorId, seed: number) {
  const r = new SeededRandom(seed);
  const made = detector === "canary" ? { value: r.pick(canaries) } : POSITIVE_MAKERS[detector](r);
  const quote = /["']$/.exec(made.before ?? "")?.[0] ?? "";
  return { prefix: `Note: ${made.before ?? ""}`, value: made.value, suffix: `${made.after ?? quote} end.` };
}

const plantedValue = fc
  .tuple(fc.constantFrom(...ALL_DETECTORS), fc.integer(), fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([detector, seed, where]) => {
    const p = planted(detector, seed);
    // Strictly inside the value: after its first character, before its last.
    return { detector, ...p, at: 1 + Math.floor(where * (p.value.length - 1)) };
  })
  .filter(({ at, value }) => at < value.length);

/** The text with `insert` at `at` inside the value, and where the value now lies. */
function obfuscate(p: { prefix: string; value: string; suffix: string; at: number }, insert: string) {
  const value = p.value.slice(0, p.at) + insert + p.value.slice(p.at);
  return { text: p.prefix + value + p.suffix, start: p.prefix.length, end: p.prefix.length + value.length };
}

/** The detection of `detector` over `[start, end)` of `text`, if the scanner finds one that covers it. */
function covering(text: string, detector: DetectorId, start: number, end: number) {
  return scanner.scanText(text).find((h) => h.detector === detector && h.start <= start && h.end >= end);
}

/** Found, whole, before obfuscation: the makers' rare near-misses (a low-entropy AWS id) are not the point here. */
const foundPlain = (p: { prefix: string; value: string; suffix: string; detector: DetectorId }) =>
  covering(p.prefix + p.value + p.suffix, p.detector, p.prefix.length, p.prefix.length + p.value.length) !==
  undefined;

/**
 * A value broken right before a lower-case word of three or more letters (`…rXz` / `abc end.`)
 * ends at the break (unless the line ends with `.`, `@` or `:`, where no value ends): that reads exactly like a value at a line's end followed by prose
 * (`eyJ…` / `end of dump`), which is far more common, so the scanner stops there
 * (`crossesBreak` in scanner.ts). The finding then covers the value up to the break.
 */
const endsAtBreak = (p: { value: string; at: number }) =>
  !/[.@:]$/.test(p.value.slice(0, p.at)) && /^[a-z]{3,}$/.test(p.value.slice(p.at));

describe("scanning obfuscated values", () => {
  it(`uses the real Cf set (${FORMAT_CHARS.length} characters, soft hyphen and U+200B..U+200D, U+2060 among them)`, () => {
    for (const c of ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
      expect(FORMAT_CHARS).toContain(c);
    expect(FORMAT_CHARS.length).toBeGreaterThan(150);
  });

  it("property: a format character anywhere inside a true value neither loses the finding nor shortens its span", () => {
    fc.assert(
      fc.property(plantedValue.filter(foundPlain), fc.constantFrom(...FORMAT_CHARS), (p, cf) => {
        const { text, start, end } = obfuscate(p, cf);
        expect(covering(text, p.detector, start, end), JSON.stringify(text)).toBeDefined();
      }),
      { numRuns: 1500 },
    );
  });

  it("property: a line break anywhere inside a true value neither loses the finding nor shortens its span", () => {
    fc.assert(
      fc.property(plantedValue.filter(foundPlain), fc.constantFrom("\n", "\r\n"), (p, br) => {
        const { text, start, end } = obfuscate(p, br);
        const until = endsAtBreak(p) ? start + p.at : end;
        expect(covering(text, p.detector, start, until), JSON.stringify(text)).toBeDefined();
      }),
      { numRuns: 1500 },
    );
  });

  it("property: redacting an obfuscated value leaves none of its characters", () => {
    fc.assert(
      fc.property(
        plantedValue.filter(foundPlain),
        fc.constantFrom(...FORMAT_CHARS, "\n", "\r\n"),
        (p, insert) => {
          const { text } = obfuscate(p, insert);
          const { record } = redactClean({ text }, 0, scanner);
          if (!("text" in record)) throw new Error("text record expected");
          const mark = placeholder(p.detector);
          const at = record.text.indexOf(mark);
          expect(at, `${JSON.stringify(text)} -> ${JSON.stringify(record.text)}`).toBeGreaterThanOrEqual(0);
          // Whatever is left around the placeholder is the line's own text (or less of it).
          expect(p.prefix.startsWith(record.text.slice(0, at)), JSON.stringify(record.text)).toBe(true);
          const rest = record.text.slice(at + mark.length);
          const left =
            insert.includes("\n") && endsAtBreak(p) ? `${insert}${p.value.slice(p.at)}${p.suffix}` : p.suffix;
          expect(left.endsWith(rest), JSON.stringify(record.text)).toBe(true);
        },
      ),
      { numRuns: 800 },
    );
  });
});
