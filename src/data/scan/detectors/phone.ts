import { isPhone } from "../checks/numbers.ts";
import { defineDetector } from "../detector.ts";
import { keepLastDigits } from "../mask.ts";

/** International (E.164, NANP for +1), North American and national trunk-0 phone numbers. */
export const phone = defineDetector({
  id: "phone",
  kind: "pii",
  placeholder: "[PHONE]",
  confidence: 0.75,
  finder: { digits: (run) => isPhone(run) && (run.plus ? 0.85 : 0.75) },
  mask: (raw) => keepLastDigits(raw, 2),
});
