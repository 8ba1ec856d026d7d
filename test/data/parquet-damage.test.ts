import { parquetWriteBuffer } from "hyparquet-writer";
import { describe, expect, it } from "vitest";
import { CrucibleError } from "../../src/core/errors.ts";
import { SeededRandom } from "../support/scan/random.ts";
import { readAll, tempDir, writeFile } from "./helpers.ts";

const dir = tempDir();
let counter = 0;

/** Every way intake may refuse a Parquet file, all in its own words: no parser text gets through. */
const OWN_PROBLEMS = [
  /^not a readable Parquet file: /,
  /^file is not a Parquet file \(no PAR1 magic/,
  /^Parquet file has no "text" column$/,
  /^value is not a string$/,
  /^dataset has no records$/,
  /^text holds a (control character|lone surrogate)/,
  /^row group \d+ \(rows \d+–\d+\) of column "text" holds a string that is not valid UTF-8$/,
  /^row group \d+ \(rows \d+–\d+\) of column "text" is compressed with \S+, which intake cannot decompress$/,
];

const rows = Array.from(
  { length: 40 },
  (_, i) => `row ${i}: ${"support chat about an order ".repeat(i % 5)}`,
);
const good = new Uint8Array(
  parquetWriteBuffer({
    columnData: [
      { name: "id", data: rows.map((_, i) => i), type: "INT32" },
      { name: "text", data: rows, type: "STRING" },
    ],
    rowGroupSize: 16,
  }),
);
const footerLength = new DataView(good.buffer).getUint32(good.length - 8, true);
const footerStart = good.length - 8 - footerLength;

/** Reads a mutated file: it either yields string records or is refused with one of our errors. */
async function readMutant(bytes: Uint8Array, label: string): Promise<"read" | "refused"> {
  const path = writeFile(dir, `m${counter++}.parquet`, bytes);
  try {
    const { records } = await readAll(path);
    for (const r of records) expect(typeof (r.record as { text: unknown }).text, label).toBe("string");
    return "read";
  } catch (err) {
    if (!(err instanceof CrucibleError)) throw new Error(`${label}: escaped as ${String(err)}`);
    expect(err.code, label).toBe("invalid_argument");
    expect(
      OWN_PROBLEMS.some((p) => p.test(err.problem)),
      `${label}: not our wording: ${err.problem}`,
    ).toBe(true);
    expect(err.details.field, label).toContain(path);
    expect(err.details.fix, label).toBeTruthy();
    return "refused";
  }
}

function mutants(seed: number): Array<[string, Uint8Array]> {
  const r = new SeededRandom(seed);
  const out: Array<[string, Uint8Array]> = [];
  for (let i = 0; i < 40; i += 1) {
    const at = r.int(0, good.length - 1);
    out.push([`truncated to ${at} bytes`, good.slice(0, at)]);
    out.push([
      `truncated to ${at} bytes, PAR1 re-appended`,
      Uint8Array.from([...good.slice(0, at), 0x50, 0x41, 0x52, 0x31]),
    ]);
  }
  for (let i = 0; i < 40; i += 1) {
    const bytes = good.slice();
    const length = r.pick([0, 1, footerLength - 1, footerLength + 1, good.length, r.int(0, 0xffffffff)]);
    new DataView(bytes.buffer).setUint32(bytes.length - 8, length >>> 0, true);
    out.push([`footer length ${length >>> 0}`, bytes]);
  }
  for (let i = 0; i < 40; i += 1) {
    const size = r.int(12, 600);
    const bytes = Uint8Array.from({ length: size }, () => r.int(0, 255));
    bytes.set([0x50, 0x41, 0x52, 0x31], 0);
    bytes.set([0x50, 0x41, 0x52, 0x31], size - 4);
    new DataView(bytes.buffer).setUint32(size - 8, r.int(1, size - 12), true);
    out.push([`${size} random bytes between PAR1 magics`, bytes]);
  }
  for (let i = 0; i < 200; i += 1) {
    const bytes = good.slice();
    const flips = r.int(1, 3);
    const where: number[] = [];
    for (let f = 0; f < flips; f += 1) {
      const at = r.int(footerStart, good.length - 9);
      bytes[at] = r.next() < 0.5 ? bytes[at]! ^ (1 << r.int(0, 7)) : r.int(0, 255);
      where.push(at);
    }
    out.push([`Thrift metadata bytes changed at ${where.join(",")}`, bytes]);
  }
  for (let i = 0; i < 60; i += 1) {
    const bytes = good.slice();
    const at = r.int(4, footerStart - 1);
    bytes[at] = bytes[at]! ^ (1 << r.int(0, 7));
    out.push([`page byte flipped at ${at}`, bytes]);
  }
  return out;
}

describe("damaged Parquet files", () => {
  it("the undamaged file reads whole", async () => {
    expect((await readAll(writeFile(dir, "good.parquet", good))).records.map((r) => r.record)).toEqual(
      rows.map((text) => ({ text })),
    );
  });

  it("no truncation, footer length, random body or flipped byte escapes as anything but our own error", async () => {
    const outcomes = { read: 0, refused: 0 };
    for (const [label, bytes] of mutants(17)) outcomes[await readMutant(bytes, label)] += 1;
    // Most damage is refused; the rest touched bytes the read does not depend on (statistics, the writer's name).
    expect(outcomes.refused).toBeGreaterThan(outcomes.read);
  }, 60_000);

  it("a truncated file and a corrupt footer length name the footer", async () => {
    const cut = writeFile(
      dir,
      "cut.parquet",
      Uint8Array.from([...good.slice(0, good.length - 40), ...good.slice(-8)]),
    );
    await expect(readAll(cut)).rejects.toMatchObject({
      problem: expect.stringMatching(/^not a readable Parquet file: /),
    });
    const huge = good.slice();
    new DataView(huge.buffer).setUint32(huge.length - 8, 0x7fffffff, true);
    const path = writeFile(dir, "footer.parquet", huge);
    await expect(readAll(path)).rejects.toMatchObject({
      problem: `not a readable Parquet file: its footer says the metadata is ${0x7fffffff} bytes long, but the file has room for ${good.length - 12} (the file is cut short or its footer is corrupt)`,
    });
  });
});
