import { brotliCompressSync, gzipSync } from "node:zlib";
import { parquetMetadata } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import { describe, expect, it } from "vitest";
import { digestRecords } from "../../src/data/read/digest.ts";
import { csvDocument } from "../../src/data/write.ts";
import { readAll, tempDir, writeFile } from "./helpers.ts";

const dir = tempDir();
const texts = ["Hello, world", 'She said "hi"\nthen left', "ünïcødé ✓ 𝄞"];

describe("readers", () => {
  it("reads JSONL text records with index and line, skipping blank lines and extra fields", async () => {
    const path = writeFile(dir, "a.jsonl", '{"text":"one","id":1}\n\n  {"text" : "two"}\r\n{"text":"three"}');
    const { records, summary } = await readAll(path);
    expect(records.map((r) => [r.index, r.line, r.record])).toEqual([
      [0, 1, { text: "one" }],
      [1, 3, { text: "two" }],
      [2, 4, { text: "three" }],
    ]);
    expect(summary).toMatchObject({ format: "jsonl", records: 3 });
  });

  it("reads JSONL chat records", async () => {
    const chat = {
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hi", name: "x" },
      ],
    };
    const path = writeFile(dir, "chat.jsonl", `${JSON.stringify(chat)}\n`);
    const { records } = await readAll(path);
    expect(records[0]?.record).toEqual({
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hi" },
      ],
    });
  });

  it("splits plain text into blank-line-separated paragraphs, or keeps the file whole", async () => {
    const path = writeFile(dir, "notes.txt", "\uFEFFfirst para\nstill first\n\n \nsecond\n\n");
    const paragraphs = await readAll(path);
    expect(paragraphs.records.map((r) => [r.line, r.record])).toEqual([
      [1, { text: "first para\nstill first" }],
      [5, { text: "second" }],
    ]);
    const whole = await readAll(path, { textSplit: "file" });
    expect(whole.records.map((r) => r.record)).toEqual([{ text: "first para\nstill first\n\n \nsecond" }]);
  });

  it("reads CSV with quoted fields across lines and reports the physical start line", async () => {
    const path = writeFile(dir, "a.csv", 'id,body\r\n1,plain\r\n2,"multi\nline, with ""quotes"""\r\n3,last');
    const { records } = await readAll(path, { textColumn: "body" });
    expect(records.map((r) => [r.line, r.record])).toEqual([
      [2, { text: "plain" }],
      [3, { text: 'multi\nline, with "quotes"' }],
      [5, { text: "last" }],
    ]);
  });

  it("reads CSV correctly whatever the chunk size (rows and characters split across chunks)", async () => {
    const path = writeFile(dir, "chunks.csv", csvDocument(texts.map((text) => ({ text }))));
    const whole = await readAll(path);
    for (const chunkBytes of [1, 2, 3, 7]) {
      const { records } = await readAll(path, { chunkBytes });
      expect(records).toEqual(whole.records);
    }
  });

  it("reads the text column of a Parquet file row group by row group", async () => {
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: "id", data: [1, 2, 3], type: "INT32" },
        { name: "text", data: texts, type: "STRING" },
      ],
      rowGroupSize: 2,
    });
    const path = writeFile(dir, "a.parquet", new Uint8Array(buffer));
    const { records, summary } = await readAll(path);
    expect(records.map((r) => [r.index, r.line, r.record])).toEqual(
      texts.map((text, i) => [i, i + 1, { text }]),
    );
    expect(summary.format).toBe("parquet");
  });

  it("reads gzip- and brotli-compressed Parquet pages", async () => {
    for (const [codec, compress] of [
      ["GZIP", (b: Uint8Array) => new Uint8Array(gzipSync(b))],
      ["BROTLI", (b: Uint8Array) => new Uint8Array(brotliCompressSync(b))],
    ] as const) {
      const buffer = parquetWriteBuffer({
        columnData: [{ name: "text", data: texts, type: "STRING" }],
        codec,
        compressors: { [codec]: compress },
      });
      expect(parquetMetadata(buffer).row_groups[0]?.columns[0]?.meta_data?.codec).toBe(codec);
      const path = writeFile(dir, `${codec}.parquet`, new Uint8Array(buffer));
      expect((await readAll(path)).records.map((r) => r.record)).toEqual(texts.map((text) => ({ text })));
    }
  });

  it("gives the same digest for the same records in JSONL, CSV, text and Parquet", async () => {
    const records = texts.map((text) => ({ text: text.replaceAll("\n", " ") }));
    const expected = digestRecords(records);
    const jsonl = writeFile(
      dir,
      "same.jsonl",
      records.map((r) => `{ "text" :  ${JSON.stringify(r.text)} }`).join("\n"),
    );
    const csv = writeFile(dir, "same.csv", csvDocument(records));
    const txt = writeFile(dir, "same.txt", records.map((r) => r.text).join("\n\n"));
    const parquet = writeFile(
      dir,
      "same.parquet",
      new Uint8Array(
        parquetWriteBuffer({
          columnData: [{ name: "text", data: records.map((r) => r.text), type: "STRING" }],
        }),
      ),
    );
    for (const path of [jsonl, csv, txt, parquet])
      expect((await readAll(path)).summary.digest).toBe(expected);
  });

  it("matches the digest Python computes with json.dumps(sort_keys, compact, ensure_ascii=False)", () => {
    // Fixture computed with Python 3: sha256 over json.dumps(r, sort_keys=True,
    // separators=(",", ":"), ensure_ascii=False) + "\n", UTF-8, for each record.
    const records = [
      { text: "Hello, world" },
      { messages: [{ role: "user" as const, content: 'é "q" \n\t\u0001' }] },
    ];
    expect(digestRecords(records)).toBe(
      "sha256:7532d91476511a551588f9b4b8ec6138577bd31040be0d6af3729d0cf58a3878",
    );
  });

  it("gives a different digest when a record changes or the order changes", () => {
    const a = digestRecords([{ text: "a" }, { text: "b" }]);
    expect(digestRecords([{ text: "b" }, { text: "a" }])).not.toBe(a);
    expect(digestRecords([{ text: "a" }, { text: "c" }])).not.toBe(a);
    expect(digestRecords([{ text: "a\nb" }])).not.toBe(a);
  });
});
