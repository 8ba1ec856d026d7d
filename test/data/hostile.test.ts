import { truncateSync, unlinkSync } from "node:fs";
import { parquetWriteBuffer } from "hyparquet-writer";
import { describe, expect, it } from "vitest";
import { CrucibleError } from "../../src/core/errors.ts";
import { validateDatasetName } from "../../src/data/names.ts";
import { openDataset } from "../../src/data/read/dataset.ts";
import { readError, tempDir, writeFile } from "./helpers.ts";

const dir = tempDir();

/** Every hostile-input error is `invalid_argument`, names the file (and line), and says what to do. */
function expectInvalid(err: CrucibleError, field: string | RegExp, message: RegExp) {
  expect(err.code).toBe("invalid_argument");
  expect(err.details.field).toMatch(field);
  expect(err.message).toMatch(message);
  expect(err.details.fix).toBeTruthy();
}

describe("hostile input", () => {
  it("invalid UTF-8 names the line and the byte column", async () => {
    const path = writeFile(
      dir,
      "bad-utf8.jsonl",
      Buffer.concat([
        Buffer.from('{"text":"ok"}\n{"text":"a'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}\n'),
      ]),
    );
    const err = await readError(path);
    expectInvalid(
      err,
      `${path}:2:11`,
      /not valid UTF-8 \(bad byte at offset 24 of the file, column 11 of line 2\)/,
    );
  });

  it("invalid UTF-8 in a CSV is found by the streaming decoder and names the line", async () => {
    const path = writeFile(
      dir,
      "bad-utf8.csv",
      Buffer.concat([Buffer.from("text\nfine\nbad "), Buffer.from([0xff]), Buffer.from("\n")]),
    );
    expectInvalid(
      await readError(path, { chunkBytes: 4 }),
      `${path}:3:5`,
      /not valid UTF-8 \(bad byte at offset 14/,
    );
  });

  it("a malformed JSON line names its line", async () => {
    const path = writeFile(dir, "malformed.jsonl", '{"text":"ok"}\n{"text":"no end}\n');
    expectInvalid(await readError(path), `${path}:2`, /not valid JSON/);
  });

  it("a record that is not an object is refused", async () => {
    const path = writeFile(dir, "array.jsonl", '["text"]\n');
    expectInvalid(await readError(path), `${path}:1`, /not a JSON object/);
  });

  it("text that is not a string names the text field", async () => {
    const path = writeFile(dir, "number.jsonl", '{"text":"ok"}\n{"text":42}\n');
    expectInvalid(await readError(path), `${path}:2 text`, /text is not a string/);
  });

  it("a message with a bad role names messages[i].role", async () => {
    const path = writeFile(
      dir,
      "role.jsonl",
      '{"messages":[{"role":"user","content":"a"},{"role":"admin","content":"b"}]}\n',
    );
    const err = await readError(path);
    expectInvalid(err, `${path}:1 messages[1].role`, /role is not one of/);
    expect(err.details.value).toBe("admin");
  });

  it("a message whose content is not a string names messages[i].content", async () => {
    const path = writeFile(dir, "content.jsonl", '{"messages":[{"role":"user","content":null}]}\n');
    expectInvalid(await readError(path), `${path}:1 messages[0].content`, /content is not a string/);
  });

  it("a record with neither text nor messages is refused", async () => {
    const path = writeFile(dir, "neither.jsonl", '{"prompt":"a"}\n');
    expectInvalid(await readError(path), `${path}:1`, /neither text nor messages/);
  });

  it("an oversized line is refused at the configured limit, even split across chunks", async () => {
    const path = writeFile(dir, "long.jsonl", `{"text":"short"}\n{"text":"${"x".repeat(200)}"}\n`);
    expectInvalid(
      await readError(path, { maxLineBytes: 100, chunkBytes: 16 }),
      `${path}:2`,
      /longer than the limit of 100 bytes/,
    );
  });

  it("an oversized CSV row is refused", async () => {
    const path = writeFile(dir, "long.csv", `text\n"${"y".repeat(300)}"\n`);
    expectInvalid(
      await readError(path, { maxLineBytes: 100, chunkBytes: 32 }),
      path,
      /row is longer than the limit/,
    );
  });

  it("an empty file is refused", async () => {
    const path = writeFile(dir, "empty.jsonl", "");
    expectInvalid(await readError(path), path, /no records/);
  });

  it("a file of blank lines only is refused as empty", async () => {
    const path = writeFile(dir, "blank.txt", "\n  \n\n");
    expectInvalid(await readError(path), path, /no records/);
  });

  it("a CSV without the text column names the column", async () => {
    const path = writeFile(dir, "nocol.csv", "id,body\n1,x\n");
    expectInvalid(await readError(path), `${path}:1 column "text"`, /no "text" column/);
  });

  it("a CSV row with the wrong number of fields names its line", async () => {
    const path = writeFile(dir, "ragged.csv", "id,text\n1,a\n2,b,c\n");
    expectInvalid(await readError(path), `${path}:3`, /3 fields but the header has 2/);
  });

  it("an unclosed CSV quote is refused", async () => {
    const path = writeFile(dir, "quote.csv", 'text\n"never closed\n');
    expectInvalid(await readError(path), `${path}:2`, /never closed/);
  });

  it("a .parquet file that is not Parquet is refused", async () => {
    const path = writeFile(dir, "fake.parquet", '{"text":"this is JSON"}\n');
    expectInvalid(await readError(path), path, /not a Parquet file/);
  });

  it("a Parquet file cut short is refused", async () => {
    const path = writeFile(
      dir,
      "cut.parquet",
      Buffer.concat([Buffer.from("PAR1"), Buffer.alloc(64, 7), Buffer.from("PAR1")]),
    );
    expectInvalid(
      await readError(path),
      path,
      /not a readable Parquet file: its footer says the metadata is/,
    );
  });

  it("a Parquet file without the text column names the column and the ones it has", async () => {
    const buffer = parquetWriteBuffer({ columnData: [{ name: "body", data: ["a"], type: "STRING" }] });
    const path = writeFile(dir, "nocol.parquet", new Uint8Array(buffer));
    const err = await readError(path);
    expectInvalid(err, `${path} column "text"`, /no "text" column/);
    expect(err.details.value).toEqual(["body"]);
  });

  it("a Parquet text column that is not a string names the row", async () => {
    const buffer = parquetWriteBuffer({ columnData: [{ name: "text", data: [1, 2], type: "INT32" }] });
    const path = writeFile(dir, "numbers.parquet", new Uint8Array(buffer));
    expectInvalid(await readError(path), `${path}:1 column "text"`, /not a string/);
  });

  it("an unknown extension is refused with the known ones", async () => {
    const path = writeFile(dir, "data.xlsx", "x");
    expect(() => openDataset(path)).toThrowError(CrucibleError);
  });

  it("a missing file is refused", async () => {
    expectInvalid(await readError(`${dir}/nowhere.jsonl`), /nowhere\.jsonl/, /does not exist/);
  });

  it("a file that vanishes before the read starts is refused", async () => {
    const path = writeFile(dir, "vanish.jsonl", '{"text":"a"}\n');
    const stream = openDataset(path);
    unlinkSync(path);
    const iterate = async () => {
      for await (const _ of stream) void _;
    };
    await expect(iterate()).rejects.toMatchObject({ code: "invalid_argument", message: /does not exist/ });
  });

  it("a file truncated mid-read is refused rather than read short", async () => {
    const line = `{"text":"${"z".repeat(100)}"}\n`;
    const path = writeFile(dir, "truncate.jsonl", line.repeat(50));
    const stream = openDataset(path, { chunkBytes: 256 });
    const iterate = async () => {
      for await (const r of stream) if (r.index === 0) truncateSync(path, line.length * 3);
    };
    await expect(iterate()).rejects.toMatchObject({
      code: "invalid_argument",
      message: /truncated while it was being read/,
    });
  });

  it("dataset names with path separators, '..' or control characters are refused", () => {
    for (const [name, why] of [
      ["a/b", /path separator/],
      ["a\\b", /path separator/],
      ["a..b", /'\.\.'/],
      ["bad\u0007name", /control character/],
      ["", /empty/],
      ["Upper", /outside/],
      ["x".repeat(129), /longer than 128/],
    ] as const) {
      expect(() => validateDatasetName(name), name).toThrowError(why);
    }
    expect(validateDatasetName("support-chats.v2")).toBe("support-chats.v2");
  });
});
