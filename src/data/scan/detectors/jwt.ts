import { isWordChar } from "../chars.ts";
import { isJwt } from "../checks/tokens.ts";
import { defineDetector } from "../detector.ts";

const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/y;

/**
 * JSON Web Tokens whose header decodes to JSON with `alg`. Searched as `yJ`, then the `e`
 * before it: a search led by the commonest letter of English is slow.
 */
export const jwt = defineDetector({
  id: "jwt",
  kind: "secret",
  placeholder: "[SECRET:jwt]",
  confidence: 0.95,
  finder: {
    anchor: "yJ",
    find(text: string, yJ: number) {
      const at = yJ - 1;
      if (text.charCodeAt(at) !== 101 || isWordChar(text[at - 1], "-")) return undefined;
      JWT.lastIndex = at;
      const token = JWT.exec(text)?.[0];
      return token && isJwt(token) ? { start: at, end: at + token.length } : undefined;
    },
  },
  mask: (raw) => `${raw.slice(0, 6)}***.***.***`,
});
