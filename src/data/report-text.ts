import type { PrescreenReport } from "./report.ts";

/**
 * Renders a pre-screen report as plain text for the CLI: a header, a table by detector (only
 * detectors that found something, or a line saying nothing was found), a table by field, and
 * the first `maxExamples` flagged examples with their masked previews.
 * @example console.log(renderReport(buildReport(findings, summary)))
 */
export function renderReport(report: PrescreenReport, maxExamples = 20): string {
  const lines: string[] = [];
  if (report.dataset) {
    lines.push(
      `dataset ${report.dataset.digest} (${report.dataset.format}, ${report.dataset.records} records)`,
    );
  }
  const t = report.totals;
  lines.push(
    `${t.findings} findings in ${t.flaggedRecords} records: ${t.pii} PII, ${t.secrets} secrets, ${t.canaries} canaries`,
  );
  const found = report.byDetector.filter((d) => d.findings > 0);
  if (found.length === 0) {
    lines.push("", "No PII, secrets or canaries found.");
    return `${lines.join("\n")}\n`;
  }
  lines.push(
    "",
    ...table(
      ["detector", "kind", "findings", "records"],
      found.map((d) => [d.detector, d.kind, String(d.findings), String(d.records)]),
    ),
  );
  lines.push(
    "",
    ...table(
      ["detector", "field", "findings"],
      report.byField.map((f) => [f.detector, f.field, String(f.findings)]),
    ),
  );
  const shown = report.flagged.slice(0, maxExamples);
  lines.push(
    "",
    ...table(
      ["record", "field", "span", "detector", "confidence", "preview"],
      shown.map((f) => [
        String(f.record),
        f.field,
        `${f.span[0]}-${f.span[1]}`,
        f.detector,
        f.confidence.toFixed(2),
        f.preview.replace(/\s+/g, " "),
      ]),
    ),
  );
  if (report.flagged.length > shown.length)
    lines.push(`... and ${report.flagged.length - shown.length} more (see --json)`);
  return `${lines.join("\n")}\n`;
}

/** Left-aligned columns separated by two spaces, with a dashed rule under the header. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
}
