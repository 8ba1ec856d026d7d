import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { invalidUtf8At, wideEncoding } from "../../src/data/read/encoding.ts";
import { byteControlAt, textFault } from "../../src/data/read/text-validity.ts";
import { readError, tempDir, writeFile } from "./helpers.ts";

const dir = tempDir();
let counter = 0;
const fresh = (ext: string) => `v${counter++}.${ext}`;

const ALLOWED_BELOW_SPACE = new Set([0x09, 0x0a, 0x0d]);
const isControl = (code: number) => code < 0x20 && !ALLOWED_BELOW_SPACE.has(code);
/** Any well-formed string (every code point, astral ones as pairs), controls included. */
const anyText = fc.string({ unit: "binary", maxLength: 60 });
/** Well-formed text without refused controls, as code points. */
const cleanPoints = fc.array(
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }).filter((c) => !isControl(c.charCodeAt(0))),
  { maxLength: 40 },
);
const control = fc.integer({ min: 0, max: 0x1f }).filter(isControl);
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff });
/** A line without line breaks or refused controls. */
const cleanLine = fc.array(
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }).filter((c) => {
    const code = c.charCodeAt(0);
    return code >= 0x20 || code === 0x09;
  }),
  { maxLength: 30 },
);

describe("text validity properties", () => {
  it("any well-formed string without controls passes; with controls allowed, any well-formed string passes", () => {
    fc.assert(
      fc.property(cleanPoints, anyText, (points, text) => {
        expect(textFault(points.join(""), false)).toBeUndefined();
        expect(textFault(text, true)).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it("a lone surrogate injected at any code point boundary is found at exactly that index", () => {
    fc.assert(
      fc.property(cleanPoints, fc.nat(), loneSurrogate, fc.boolean(), (points, at, code, allow) => {
        const i = at % (points.length + 1);
        const before = points.slice(0, i).join("");
        const text = before + String.fromCharCode(code) + points.slice(i).join("");
        expect(textFault(text, allow)).toEqual({ index: before.length, code, kind: "lone-surrogate" });
      }),
      { numRuns: 500 },
    );
  });

  it("a control injected anywhere is found at exactly that index, unless controls are allowed", () => {
    fc.assert(
      fc.property(cleanPoints, fc.nat(), control, (points, at, code) => {
        const i = at % (points.length + 1);
        const before = points.slice(0, i).join("");
        const text = before + String.fromCharCode(code) + points.slice(i).join("");
        expect(textFault(text, false)).toEqual({ index: before.length, code, kind: "control" });
        expect(textFault(text, true)).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it("the four-bytes-at-a-time control search finds what a byte-by-byte search finds, at any alignment", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(7), (bytes, shift) => {
        const backing = new Uint8Array(bytes.length + shift);
        backing.set(bytes, shift);
        const view = backing.subarray(shift);
        expect(byteControlAt(view)).toBe(view.findIndex(isControl));
      }),
      { numRuns: 1000 },
    );
  });

  it("invalidUtf8At agrees with a fatal TextDecoder on any bytes, and the prefix before it decodes", () => {
    const fatal = new TextDecoder("utf-8", { fatal: true });
    const decodes = (b: Uint8Array) => {
      try {
        fatal.decode(b);
        return true;
      } catch {
        return false;
      }
    };
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 24 }),
      anyText.map((t) => new TextEncoder().encode(t)),
      fc
        .tuple(anyText, fc.uint8Array({ maxLength: 3 }), anyText)
        .map(([a, mid, b]) =>
          Uint8Array.from([...new TextEncoder().encode(a), ...mid, ...new TextEncoder().encode(b)]),
        ),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        const at = invalidUtf8At(b);
        expect(at === -1).toBe(decodes(b));
        if (at !== -1) {
          expect(decodes(b.subarray(0, at))).toBe(true);
          expect(decodes(b.subarray(0, at + 1))).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("UTF-8 without NULs is never taken for UTF-16/32; four or more ASCII characters in UTF-16 always are", () => {
    fc.assert(
      fc.property(
        anyText,
        fc.string({
          unit: fc.integer({ min: 1, max: 0x7f }).map((c) => String.fromCharCode(c)),
          minLength: 4,
          maxLength: 200,
        }),
        (text, ascii) => {
          expect(wideEncoding(new TextEncoder().encode(text.replaceAll("\u0000", "")))).toBeUndefined();
          const le = Buffer.from(ascii, "utf16le");
          expect(wideEncoding(le)?.name).toBe("UTF-16LE");
          expect(wideEncoding(Buffer.from(le).swap16())?.name).toBe("UTF-16BE");
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("reader properties: an injected fault is refused at its place", () => {
  it("a control in a plain-text file names its line and column, at any chunk size", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(cleanLine, { minLength: 1, maxLength: 8 }),
        fc.nat(),
        fc.nat(),
        control,
        fc.integer({ min: 1, max: 64 }),
        async (lines, lineAt, colAt, code, chunkBytes) => {
          const l = lineAt % lines.length;
          const points = lines[l]!;
          const c = colAt % (points.length + 1);
          const text = lines.map((p, i) =>
            i === l ? [...p.slice(0, c), String.fromCharCode(code), ...p.slice(c)].join("") : p.join(""),
          );
          const path = writeFile(dir, fresh("txt"), `${text.join("\n")}\n`);
          const err = await readError(path, { chunkBytes });
          expect(err.details.field).toBe(`${path}:${l + 1}:${c + 1}`);
          expect(err.problem).toMatch(/control character/);
        },
      ),
      { numRuns: 80 },
    );
  });

  it("a lone surrogate in any chat message names its line and field", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(cleanPoints, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.nat(),
        loneSurrogate,
        async (records, recordAt, messageAt, code) => {
          const r = recordAt % records.length;
          const m = messageAt % records[r]!.length;
          const lines = records.map((messages, i) =>
            JSON.stringify({
              messages: messages.map((points, j) => ({
                role: "user",
                content: points.join("") + (i === r && j === m ? String.fromCharCode(code) : ""),
              })),
            }),
          );
          const path = writeFile(dir, fresh("jsonl"), `${lines.join("\n")}\n`);
          const err = await readError(path);
          expect(err.details.field).toMatch(new RegExp(`^.*:${r + 1}:\\d+ messages\\[${m}\\]\\.content$`));
          expect(err.problem).toMatch(/lone surrogate/);
        },
      ),
      { numRuns: 80 },
    );
  });
});
