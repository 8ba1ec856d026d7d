import { defineDetector } from "../detector.ts";
import { pemMask } from "../mask.ts";
import { pemBlockAt } from "../private-key.ts";

/** PEM private key blocks (RSA, EC, OpenSSH, PKCS#8), also when the END line is missing. */
export const privateKey = defineDetector({
  id: "private_key",
  kind: "secret",
  placeholder: "[SECRET:private_key]",
  confidence: 0.99,
  finder: {
    anchor: "-----BEGIN",
    find(text: string, at: number) {
      const block = pemBlockAt(text, at);
      return block && !block.serviceAccount ? block : undefined;
    },
  },
  mask: pemMask,
});
