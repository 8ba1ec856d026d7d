import { closeSync, openSync, writeSync } from "node:fs";
import { generateLabelledSet } from "../../test/support/scan/labelled.ts";
import { SeededRandom } from "../../test/support/scan/random.ts";

const SUBJECTS = [
  "The customer",
  "Our support agent",
  "The billing team",
  "A new user",
  "The on-call engineer",
  "My manager",
  "The vendor",
];
const VERBS = [
  "asked about",
  "reported a problem with",
  "wants a refund for",
  "could not find",
  "updated",
  "escalated",
  "confirmed",
];
const OBJECTS = [
  "the March invoice",
  "their subscription",
  "the mobile app login",
  "a delayed shipment",
  "the export feature",
  "the API rate limit",
  "two-factor setup",
];
const TAILS = [
  "and we promised an answer by Friday.",
  "after the 2.4.1 release went out.",
  "which was logged as ticket #48213.",
  "so I opened order ORD-2025-118734 again.",
  "because the page timed out after 30 seconds.",
  "on 2025-03-14 at 09:30 local time.",
  "and the total came to 149.99 EUR.",
  "— see commit 9fceb02d0ae598e95dc970b74767f19372d61af8 for the fix.",
];

/**
 * Writes a JSONL corpus of about `bytes` bytes: support-desk prose in text and chat records,
 * with realistic numeric noise (versions, dates, order numbers, hashes) and, in about one
 * sentence in forty, a planted value or look-alike from the labelled set.
 */
export function writeCorpus(path: string, bytes: number, seed = 7): { bytes: number; records: number } {
  const r = new SeededRandom(seed);
  const planted = generateLabelledSet({ seed, perDetector: 40, negatives: 400 }).map((e) => e.text);
  const sentence = () =>
    r.next() < 0.025
      ? r.pick(planted)
      : `${r.pick(SUBJECTS)} ${r.pick(VERBS)} ${r.pick(OBJECTS)} ${r.pick(TAILS)}`;
  const paragraph = (n: number) => Array.from({ length: n }, sentence).join(" ");
  const fd = openSync(path, "w");
  let written = 0;
  let records = 0;
  try {
    let batch = "";
    while (written < bytes) {
      const record =
        r.next() < 0.7
          ? { text: paragraph(r.int(2, 12)) }
          : {
              messages: Array.from({ length: r.int(2, 6) }, (_, i) => ({
                role: i % 2 === 0 ? "user" : "assistant",
                content: paragraph(r.int(1, 5)),
              })),
            };
      const line = `${JSON.stringify(record)}\n`;
      batch += line;
      written += Buffer.byteLength(line);
      records += 1;
      if (batch.length > 1 << 20) {
        writeSync(fd, batch);
        batch = "";
      }
    }
    writeSync(fd, batch);
  } finally {
    closeSync(fd);
  }
  return { bytes: written, records };
}
