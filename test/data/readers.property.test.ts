import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/core/digest.ts";
import { CrucibleError } from "../../src/core/errors.ts";
import { canonicalRecordLine, digestRecords } from "../../src/data/read/digest.ts";
import { CHAT_ROLES, type DataRecord } from "../../src/data/records.ts";
import { csvDocument, jsonlLine } from "../../src/data/write.ts";
import { readAll, tempDir, writeFile } from "./helpers.ts";

const dir = tempDir();
let counter = 0;
const fresh = (ext: string) => `p${counter++}.${ext}`;

const text = fc.string({ unit: "grapheme", maxLength: 40 });
const record: fc.Arbitrary<DataRecord> = fc.oneof(
  text.map((t) => ({ text: t })),
  fc
    .array(fc.record({ role: fc.constantFrom(...CHAT_ROLES), content: text }), { minLength: 1, maxLength: 4 })
    .map((messages) => ({ messages })),
);

describe("reader properties", () => {
  it("the fast canonical record line equals core canonicalJson of the record", () => {
    fc.assert(
      fc.property(record, (r) => {
        expect(canonicalRecordLine(r)).toBe(`${canonicalJson(r)}\n`);
      }),
      { numRuns: 300 },
    );
  });

  it("any non-empty sequence of valid records round-trips through JSONL with the same digest", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 64 }),
        async (records, chunkBytes) => {
          const path = writeFile(dir, fresh("jsonl"), records.map(jsonlLine).join(""));
          const { records: read, summary } = await readAll(path, { chunkBytes });
          expect(read.map((r) => r.record)).toEqual(records);
          expect(summary.digest).toBe(digestRecords(records));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("text records read from CSV and from JSONL have the same digest", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(text, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 64 }),
        async (texts, chunkBytes) => {
          const records = texts.map((t) => ({ text: t }));
          const csv = await readAll(writeFile(dir, fresh("csv"), csvDocument(records)), { chunkBytes });
          const jsonl = await readAll(writeFile(dir, fresh("jsonl"), records.map(jsonlLine).join("")));
          expect(csv.records.map((r) => r.record)).toEqual(records);
          expect(csv.summary.digest).toBe(jsonl.summary.digest);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("arbitrary bytes never end a read with anything but a CrucibleError", async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc
        .array(
          fc.constantFrom(
            '{"text":',
            '"',
            "}",
            "\n",
            ",",
            "[",
            '"messages"',
            ":",
            "\\",
            "\xff",
            "é",
            '"role":"user"',
          ),
          { maxLength: 30 },
        )
        .map((parts) => Buffer.from(parts.join(""), "latin1")),
    );
    await fc.assert(
      fc.asyncProperty(bytes, fc.constantFrom("jsonl", "csv", "txt", "parquet"), async (content, ext) => {
        const path = writeFile(dir, fresh(ext), content);
        try {
          await readAll(path, { chunkBytes: 7 });
        } catch (err) {
          expect(err).toBeInstanceOf(CrucibleError);
          expect((err as CrucibleError).code).toBe("invalid_argument");
        }
      }),
      { numRuns: 200 },
    );
  });
});
