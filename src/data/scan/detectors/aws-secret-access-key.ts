import { characterClasses } from "../checks/entropy.ts";
import { defineDetector } from "../detector.ts";
import { secretMask } from "../mask.ts";

/** An AWS secret access key: 40 base64 characters after an AWS-ish key name. */
export const awsSecretAccessKey = defineDetector({
  id: "aws_secret_access_key",
  kind: "secret",
  placeholder: "[SECRET:aws_secret_access_key]",
  confidence: 0.9,
  finder: {
    keyValue: (key, value) =>
      /aws|secret_?access/.test(key.toLowerCase()) &&
      /^[A-Za-z0-9/+]{40}$/.test(value) &&
      characterClasses(value) >= 3,
  },
  mask: secretMask,
});
