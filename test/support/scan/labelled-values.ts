import type { DetectorId } from "../../../src/data/scan/detectors.ts";
import { PII_MAKERS } from "./labelled-pii.ts";
import { SECRET_MAKERS } from "./labelled-secrets.ts";
import type { SeededRandom } from "./random.ts";

/**
 * Makes one realistic value for a detector: the value and, for credentials, the text around it
 * that real files carry (`aws_secret_access_key = "…"`).
 */
export type ValueMaker = (r: SeededRandom) => { before?: string; value: string; after?: string };

/** A value maker for every detector but `canary` (canaries are given, not generated). */
export const POSITIVE_MAKERS: Readonly<Record<Exclude<DetectorId, "canary">, ValueMaker>> = {
  ...PII_MAKERS,
  ...SECRET_MAKERS,
};
