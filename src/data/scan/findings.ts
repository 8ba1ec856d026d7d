import type { DetectorId } from "./detectors.ts";

/** A detection inside one string: half-open span `[start, end)` in UTF-16 code units. */
export interface Hit {
  detector: DetectorId;
  start: number;
  end: number;
  confidence: number;
}

/** A detection in a record. It carries a masked preview, never the raw value. */
export interface Finding {
  /** Index of the record in the dataset. */
  record: number;
  /** JSON path of the string inside the record: `text` or `messages[2].content`. */
  field: string;
  span: [number, number];
  detector: DetectorId;
  /** 0..1: how sure the validators are that this is the real thing. */
  confidence: number;
  preview: string;
}
