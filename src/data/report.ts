import type { DatasetSummary } from "./read/dataset.ts";
import { ALL_DETECTORS, type DetectorId, type DetectorKind, detectorKind } from "./scan/detectors.ts";
import type { Finding } from "./scan/findings.ts";

/** Counts for one detector. */
export interface DetectorSummary {
  detector: DetectorId;
  kind: DetectorKind;
  findings: number;
  /** Distinct records with at least one finding of this detector. */
  records: number;
}

/** The pre-screen report a data steward reads before approving a dataset version. */
export interface PrescreenReport {
  dataset?: DatasetSummary;
  totals: { findings: number; flaggedRecords: number; pii: number; secrets: number; canaries: number };
  byDetector: DetectorSummary[];
  /** Findings per detector and field; message indices are folded (`messages[*].content`). */
  byField: Array<{ detector: DetectorId; field: string; findings: number }>;
  /** Every finding, masked, in record order. */
  flagged: Finding[];
}

/**
 * Builds the pre-screen report from findings (in any order); detectors with no findings are
 * listed with zero so that "nothing found" is explicit.
 * @example buildReport(findings, stream.summary()).totals.flaggedRecords
 */
export function buildReport(findings: Iterable<Finding>, dataset?: DatasetSummary): PrescreenReport {
  const flagged = [...findings].sort(
    (a, b) => a.record - b.record || a.field.localeCompare(b.field) || a.span[0] - b.span[0],
  );
  const recordsByDetector = new Map<DetectorId, Set<number>>();
  const countByDetector = new Map<DetectorId, number>();
  const byFieldKey = new Map<string, { detector: DetectorId; field: string; findings: number }>();
  for (const f of flagged) {
    countByDetector.set(f.detector, (countByDetector.get(f.detector) ?? 0) + 1);
    const records = recordsByDetector.get(f.detector) ?? new Set<number>();
    records.add(f.record);
    recordsByDetector.set(f.detector, records);
    const field = f.field.replace(/\[\d+\]/g, "[*]");
    const key = `${f.detector}\u0000${field}`;
    const entry = byFieldKey.get(key) ?? { detector: f.detector, field, findings: 0 };
    entry.findings += 1;
    byFieldKey.set(key, entry);
  }
  const byDetector = ALL_DETECTORS.map((detector) => ({
    detector,
    kind: detectorKind(detector),
    findings: countByDetector.get(detector) ?? 0,
    records: recordsByDetector.get(detector)?.size ?? 0,
  }));
  const sumKind = (kind: DetectorKind) =>
    byDetector.filter((d) => d.kind === kind).reduce((n, d) => n + d.findings, 0);
  return {
    ...(dataset ? { dataset } : {}),
    totals: {
      findings: flagged.length,
      flaggedRecords: new Set(flagged.map((f) => f.record)).size,
      pii: sumKind("pii"),
      secrets: sumKind("secret"),
      canaries: sumKind("canary"),
    },
    byDetector,
    byField: [...byFieldKey.values()].sort(
      (a, b) => b.findings - a.findings || a.detector.localeCompare(b.detector),
    ),
    flagged,
  };
}
