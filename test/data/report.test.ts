import { describe, expect, it } from "vitest";
import { prescreenFile } from "../../src/data/prescreen.ts";
import { buildReport } from "../../src/data/report.ts";
import { renderReport } from "../../src/data/report-text.ts";
import { Scanner } from "../../src/data/scan/scanner.ts";
import { tempDir, writeFile } from "./helpers.ts";

const scanner = new Scanner({ canaries: ["crucible-canary-0a1b2c3d4e5f"] });
const records = [
  { text: "mail jane@acme.io or bob@corp.io" },
  { text: "nothing here" },
  {
    messages: [
      { role: "user" as const, content: "key AKIAIOSFODNN7EXAMPLE" },
      { role: "assistant" as const, content: "do not share jane@acme.io" },
    ],
  },
  { text: "crucible-canary-0a1b2c3d4e5f" },
];
const findings = records.flatMap((r, i) => scanner.scanRecord(r, i));
const summary = { format: "jsonl" as const, records: 4, digest: "sha256:abc" };

describe("pre-screen report", () => {
  const report = buildReport([...findings].reverse(), summary);

  it("totals by kind and counts distinct flagged records", () => {
    expect(report.totals).toEqual({ findings: 5, flaggedRecords: 3, pii: 3, secrets: 1, canaries: 1 });
  });

  it("summarises by detector, listing detectors that found nothing with zero", () => {
    const email = report.byDetector.find((d) => d.detector === "email");
    expect(email).toEqual({ detector: "email", kind: "pii", findings: 3, records: 2 });
    expect(report.byDetector.find((d) => d.detector === "iban")?.findings).toBe(0);
  });

  it("summarises by detector and field with message indices folded", () => {
    expect(report.byField).toContainEqual({ detector: "email", field: "text", findings: 2 });
    expect(report.byField).toContainEqual({ detector: "email", field: "messages[*].content", findings: 1 });
  });

  it("lists every flagged example in record order, masked", () => {
    expect(report.flagged.map((f) => [f.record, f.detector])).toEqual([
      [0, "email"],
      [0, "email"],
      [2, "aws_access_key_id"],
      [2, "email"],
      [3, "canary"],
    ]);
    expect(JSON.stringify(report)).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(JSON.stringify(report)).not.toContain("jane@acme.io");
  });

  it("renders a plain-text table for the CLI without raw values", () => {
    const text = renderReport(report);
    expect(text).toContain("5 findings in 3 records: 3 PII, 1 secrets, 1 canaries");
    expect(text).toMatch(/email\s+pii\s+3\s+2/);
    expect(text).toContain("AKIA************MPLE");
    expect(text).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(renderReport(report, 2)).toContain("... and 3 more");
  });

  it("says plainly when nothing was found", () => {
    expect(renderReport(buildReport([], summary))).toContain("No PII, secrets or canaries found.");
  });
});

describe("prescreenFile", () => {
  it("reads, scans and reports a file in one pass, with progress", async () => {
    const lines = records.map((r) => JSON.stringify(r)).join("\n");
    const path = writeFile(tempDir(), "p.jsonl", lines);
    const seen: number[] = [];
    const report = await prescreenFile(path, {
      canaries: ["crucible-canary-0a1b2c3d4e5f"],
      progressEvery: 2,
      onProgress: (n) => seen.push(n),
    });
    expect(report.totals).toEqual({ findings: 5, flaggedRecords: 3, pii: 3, secrets: 1, canaries: 1 });
    expect(report.dataset).toMatchObject({ format: "jsonl", records: 4 });
    expect(seen).toEqual([2, 4]);
  });
});
