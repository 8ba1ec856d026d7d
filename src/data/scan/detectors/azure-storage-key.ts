import { isAzureStorageKey } from "../checks/tokens.ts";
import { defineDetector, MISS } from "../detector.ts";
import { secretMask } from "../mask.ts";

const KEY = /[A-Za-z0-9+/]{86}==/y;

/** The Azure storage account key after `AccountKey=`: 88 base64 characters decoding to 64 bytes. */
export const azureStorageKey = defineDetector({
  id: "azure_storage_key",
  kind: "secret",
  placeholder: "[SECRET:azure_storage_key]",
  confidence: 0.95,
  finder: {
    branch: { source: "=(?<=AccountKey=)", starts: "=" },
    find(text: string, at: number) {
      KEY.lastIndex = at + 1;
      const key = KEY.exec(text)?.[0];
      return key && isAzureStorageKey(key) ? { hit: { start: at + 1, end: at + 1 + key.length } } : MISS;
    },
  },
  mask: secretMask,
});
