import { isUsSsn } from "../checks/numbers.ts";
import { defineDetector } from "../detector.ts";

/** US Social Security numbers written `AAA-GG-SSSS` or with spaces. */
export const usSsn = defineDetector({
  id: "us_ssn",
  kind: "pii",
  placeholder: "[SSN]",
  confidence: 0.85,
  finder: { digits: (run) => run.digits.length === 9 && isUsSsn(run) },
  mask: (raw) => `***-**-${raw.replace(/\D/g, "").slice(-4)}`,
});
