import { ALL_DETECTORS, type DetectorId } from "../../../src/data/scan/detectors.ts";
import type { Hit } from "../../../src/data/scan/findings.ts";
import type { LabelledExample } from "./labelled.ts";

export interface DetectorScore {
  detector: DetectorId;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** tp / (tp + fp); 1 when the detector reported nothing. */
  precision: number;
  /** tp / (tp + fn); 1 when there was nothing to find. */
  recall: number;
}

/**
 * Precision and recall per detector over a labelled set. A detection counts as a true positive
 * when a label of the same detector overlaps it; every other detection is a false positive;
 * every label without such a detection is a false negative.
 * @example scoreDetectors((t) => scanner.scanText(t), generateLabelledSet({ perDetector: 20 }))
 */
export function scoreDetectors(
  scan: (text: string) => Hit[],
  examples: readonly LabelledExample[],
): DetectorScore[] {
  const counts = new Map<DetectorId, { tp: number; fp: number; fn: number }>(
    ALL_DETECTORS.map((d) => [d, { tp: 0, fp: 0, fn: 0 }]),
  );
  const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }) =>
    a.start < b.end && b.start < a.end;
  for (const example of examples) {
    const hits = scan(example.text);
    for (const hit of hits) {
      const c = counts.get(hit.detector)!;
      if (example.labels.some((l) => l.detector === hit.detector && overlaps(l, hit))) c.tp += 1;
      else c.fp += 1;
    }
    for (const label of example.labels) {
      if (!hits.some((h) => h.detector === label.detector && overlaps(label, h)))
        counts.get(label.detector)!.fn += 1;
    }
  }
  return ALL_DETECTORS.map((detector) => {
    const { tp, fp, fn } = counts.get(detector)!;
    return {
      detector,
      truePositives: tp,
      falsePositives: fp,
      falseNegatives: fn,
      precision: tp + fp === 0 ? 1 : tp / (tp + fp),
      recall: tp + fn === 0 ? 1 : tp / (tp + fn),
    };
  });
}
