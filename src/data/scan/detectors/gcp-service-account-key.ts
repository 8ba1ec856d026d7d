import { defineDetector } from "../detector.ts";
import { pemMask } from "../mask.ts";
import { pemBlockAt } from "../private-key.ts";

/** The private key of a GCP service-account JSON (`"private_key": "-----BEGIN…"`). */
export const gcpServiceAccountKey = defineDetector({
  id: "gcp_service_account_key",
  kind: "secret",
  placeholder: "[SECRET:gcp_service_account_key]",
  confidence: 0.99,
  finder: {
    anchor: "-----BEGIN",
    find(text: string, at: number) {
      const block = pemBlockAt(text, at);
      return block?.serviceAccount ? block : undefined;
    },
  },
  mask: pemMask,
});
