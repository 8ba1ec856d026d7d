import { parquetWriteBuffer } from "hyparquet-writer";
import { describe, expect, it } from "vitest";
import type { CrucibleError } from "../../src/core/errors.ts";
import { readAll, readError, tempDir, writeFile } from "./helpers.ts";

const dir = tempDir();
const utf16 = (text: string, order: "le" | "be") => {
  const bytes = Buffer.from(text, "utf16le");
  return order === "le" ? bytes : bytes.swap16();
};
const parquet = (data: unknown[], type: string) =>
  new Uint8Array(parquetWriteBuffer({ columnData: [{ name: "text", data, type }] } as never));

/** A refusal names the place, the problem, the offending code point and the fix. */
function expectRefusal(err: CrucibleError, field: string, problem: RegExp, value: string, fix: RegExp) {
  expect(err.code).toBe("invalid_argument");
  expect(err.details.field).toBe(field);
  expect(err.problem).toMatch(problem);
  expect(err.details.value).toBe(value);
  expect(err.details.fix).toMatch(fix);
}

describe("text that is not UTF-8 text is refused", () => {
  it.each([
    [
      "a .txt in UTF-16LE without a BOM",
      "le.txt",
      utf16("hello\nworld\n", "le"),
      /UTF-16LE without a byte-order mark/,
      /iconv -f UTF-16LE -t UTF-8/,
    ],
    [
      "a .jsonl in UTF-16BE without a BOM",
      "be.jsonl",
      utf16('{"text":"hi"}\n', "be"),
      /UTF-16BE without a byte-order mark/,
      /iconv -f UTF-16BE -t UTF-8/,
    ],
    [
      "a .csv in UTF-16LE with a BOM",
      "bom.csv",
      Buffer.concat([Buffer.from([0xff, 0xfe]), utf16("text\nhi\n", "le")]),
      /starts with a UTF-16LE byte-order mark/,
      /iconv -f UTF-16 -t UTF-8/,
    ],
    [
      "a .txt in UTF-16BE with a BOM",
      "bom.txt",
      Buffer.concat([Buffer.from([0xfe, 0xff]), utf16("hi\n", "be")]),
      /starts with a UTF-16BE byte-order mark/,
      /iconv -f UTF-16 -t UTF-8/,
    ],
    [
      "a .txt in UTF-32LE",
      "wide.txt",
      Buffer.from([..."hi there\n"].flatMap((c) => [c.charCodeAt(0), 0, 0, 0])),
      /UTF-32LE without a byte-order mark/,
      /iconv -f UTF-32LE -t UTF-8/,
    ],
  ])("%s: named, with the conversion to run", async (_, name, bytes, problem, fix) => {
    const path = writeFile(dir, name, bytes);
    const err = await readError(path, { chunkBytes: 64 });
    expect(err.details.field).toBe(`${path}:1`);
    expect(err.problem).toMatch(problem);
    expect(err.details.fix).toMatch(fix);
    expect(err.details.fix).toContain(path);
  });

  it("a UTF-8 file with its byte-order mark is read, the mark dropped", async () => {
    const path = writeFile(
      dir,
      "utf8bom.txt",
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("héllo\n")]),
    );
    expect((await readAll(path)).records.map((r) => r.record)).toEqual([{ text: "héllo" }]);
  });
});

describe("control characters are refused with line and column", () => {
  it("a NUL in a .txt names line and column (in characters), even across chunk boundaries", async () => {
    const path = writeFile(dir, "nul.txt", "first line\n\nsecond ünïcode \u0000 tail\n");
    for (const chunkBytes of [3, 7, 64]) {
      expectRefusal(
        await readError(path, { chunkBytes }),
        `${path}:3:16`,
        /control character/,
        "U+0000 NUL",
        /binary or UTF-16/,
      );
    }
  });

  it("form feed and vertical tab are refused too; tab and CRLF are text", async () => {
    const ff = writeFile(dir, "ff.txt", "page one\n\fpage two\n");
    expectRefusal(
      await readError(ff),
      `${ff}:2:1`,
      /control character/,
      "U+000C FF",
      /--allow-control-chars/,
    );
    const vt = writeFile(dir, "vt.txt", "a\vb\n");
    expectRefusal(await readError(vt), `${vt}:1:2`, /control character/, "U+000B VT", /tr -d/);
    const fine = writeFile(dir, "fine.txt", "a\tb\r\nc\r\n");
    expect((await readAll(fine)).records.map((r) => r.record)).toEqual([{ text: "a\tb\nc" }]);
  });

  it("allowControlChars accepts them, byte for byte", async () => {
    const path = writeFile(dir, "allowed.txt", "a\u0000b\fc\u001b[0m\n");
    const { records } = await readAll(path, { allowControlChars: true });
    expect(records.map((r) => r.record)).toEqual([{ text: "a\u0000b\fc\u001b[0m" }]);
  });

  it("a control in a CSV text column names the row, the column and the character", async () => {
    const path = writeFile(dir, "ctl.csv", 'id,text\n1,fine\n2,"two\nli\u0007nes"\n');
    expectRefusal(
      await readError(path, { chunkBytes: 5 }),
      `${path}:4 column "text"`,
      /control character at character 7 of the value/,
      "U+0007 BEL",
      /allowControlChars/,
    );
    const other = writeFile(dir, "ctl-other.csv", "id,text\n\u0007,fine\n");
    expect((await readAll(other)).records.map((r) => r.record)).toEqual([{ text: "fine" }]);
  });

  it("a raw control byte in a JSONL line is named as such, not as a JSON syntax error", async () => {
    const path = writeFile(dir, "raw.jsonl", '{"text":"ok"}\n{"text":"a\u0000b"}\n');
    expectRefusal(await readError(path), `${path}:2:11`, /control character/, "U+0000 NUL", /tr -d/);
    const allowed = await readError(path, { allowControlChars: true });
    expect([allowed.details.field, allowed.problem]).toEqual([
      `${path}:2:11`,
      expect.stringMatching(/not valid JSON: .*raw control character/),
    ]);
    expect(allowed.details.fix).toBe("Write it as the escape \\u0000");
  });
});

describe("JSONL escapes that decode to controls or lone surrogates are refused", () => {
  it.each([
    [
      "a \\u0000 escape",
      '{"text":"ab\\u0000"}',
      ":1:12 text",
      /control character at character 3 of text/,
      "U+0000 NUL",
    ],
    [
      "a \\f escape",
      '{"messages":[{"role":"user","content":"x\\fy"}]}',
      ":1:41 messages[0].content",
      /control character at character 2/,
      "U+000C FF",
    ],
    [
      "a lone high surrogate",
      '{"text":"é\\ud800!"}',
      ":1:11 text",
      /lone surrogate at character 2 of text/,
      "U+D800",
    ],
    ["a reversed pair", '{"text":"\\udc00\\ud800"}', ":1:10 text", /lone surrogate at character 1/, "U+DC00"],
    [
      "a lone surrogate in the second message",
      '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"ok \\udfff"}]}',
      ":1:79 messages[1].content",
      /lone surrogate at character 4 of messages\[1\]\.content/,
      "U+DFFF",
    ],
  ])("%s names line, column and field", async (_, line, place, problem, value) => {
    const path = writeFile(dir, `esc-${value}.jsonl`, `${line}\n`);
    const err = await readError(path);
    expect(err.details.field).toBe(`${path}${place}`);
    expect(err.problem).toMatch(problem);
    expect(err.details.value).toBe(value);
  });

  it("a well-formed pair, written escaped or raw, is text", async () => {
    const path = writeFile(dir, "pair.jsonl", '{"text":"\\ud83d\\ude00 and 😀 and \\u00e9\\t"}\n');
    expect((await readAll(path)).records[0]?.record).toEqual({ text: "😀 and 😀 and é\t" });
  });

  it("allowControlChars admits escaped controls but never a lone surrogate", async () => {
    const ctl = writeFile(dir, "ctl.jsonl", '{"text":"bell\\u0007"}\n');
    expect((await readAll(ctl, { allowControlChars: true })).records[0]?.record).toEqual({
      text: "bell\u0007",
    });
    const lone = writeFile(dir, "lone.jsonl", '{"text":"\\ud800"}\n');
    expect((await readError(lone, { allowControlChars: true })).problem).toMatch(/lone surrogate/);
  });

  it("the field is found even when another field holds the same escape", async () => {
    const path = writeFile(dir, "twice.jsonl", '{"id":"\\u0001","text":"z\\u0001"}\n');
    const err = await readError(path);
    expect(err.details.field).toBe(`${path}:1:25 text`);
  });
});

describe("Parquet strings are checked like text", () => {
  it("a control character names the row and the character", async () => {
    const path = writeFile(dir, "ctl.parquet", parquet(["fine", "bad\u0000"], "STRING"));
    expectRefusal(
      await readError(path),
      `${path}:2 column "text"`,
      /control character at character 4 of the value/,
      "U+0000 NUL",
      /allowControlChars/,
    );
    expect((await readAll(path, { allowControlChars: true })).records).toHaveLength(2);
  });

  it("bytes that are not UTF-8 are refused, not replaced by U+FFFD", async () => {
    const path = writeFile(dir, "bytes.parquet", parquet([Uint8Array.of(0x61, 0xff, 0x62)], "BYTE_ARRAY"));
    const err = await readError(path);
    expect(err.details.field).toBe(path);
    expect(err.problem).toBe(
      'row group 1 (rows 1–1) of column "text" holds a string that is not valid UTF-8',
    );
  });
});
