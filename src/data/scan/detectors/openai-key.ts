import { randomBody } from "../checks/tokens.ts";
import { defineDetector } from "../detector.ts";
import { tokenMask } from "../mask.ts";
import { tokenFinder } from "../token.ts";

const KEY = /^sk-(?:(?:proj|svcacct|admin)-)?([A-Za-z0-9_-]{32,250})$/;

/** OpenAI API keys: `sk-` (or `sk-proj-`…) and a random body; `T3BlbkFJ` marks the classic ones. */
export const openaiKey = defineDetector({
  id: "openai_key",
  kind: "secret",
  placeholder: "[SECRET:openai_key]",
  confidence: 0.85,
  finder: {
    branch: {
      source: "-(?<=sk-)[A-Za-z0-9_-]{32,260}",
      starts: "-",
      before: "k",
    },
    find: tokenFinder(
      (_, at) => at - 2,
      (t) => {
        const body = KEY.exec(t)?.[1];
        if (body === undefined) return false;
        return t.includes("T3BlbkFJ") ? 0.99 : randomBody(body);
      },
    ),
  },
  mask: (raw) => tokenMask(raw, /^sk-(?:proj-|svcacct-|admin-)?/),
});
