import { shannonEntropy } from "../checks/entropy.ts";
import { defineDetector } from "../detector.ts";
import { tokenMask } from "../mask.ts";
import { tokenFinder } from "../token.ts";

/** AWS access key ids (`AKIA…`, `ASIA…`): 16 base32 characters after the prefix. */
export const awsAccessKeyId = defineDetector({
  id: "aws_access_key_id",
  kind: "secret",
  placeholder: "[SECRET:aws_access_key_id]",
  confidence: 0.95,
  finder: {
    branch: {
      source: "A(?:KIA|SIA|BIA|CCA)[A-Z2-7]{16}",
      starts: "A",
      next: ["KSBC"],
    },
    // Placeholders such as AKIAXXXXXXXXXXXXXXXX have almost no entropy; real ids are random base32.
    find: tokenFinder(
      (_, at) => at,
      (t) => /^A(?:KIA|SIA|BIA|CCA)[A-Z2-7]{16}$/.test(t) && shannonEntropy(t.slice(4)) >= 2.5,
    ),
  },
  mask: (raw) => tokenMask(raw, /^A(?:KIA|SIA|BIA|CCA)/),
});
