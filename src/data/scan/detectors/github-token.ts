import { randomBody } from "../checks/tokens.ts";
import { defineDetector } from "../detector.ts";
import { tokenMask } from "../mask.ts";
import { tokenFinder } from "../token.ts";

/** GitHub tokens: `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` and fine-grained `github_pat_`. */
export const githubToken = defineDetector({
  id: "github_token",
  kind: "secret",
  placeholder: "[SECRET:github_token]",
  confidence: 0.95,
  finder: {
    branch: {
      source: "_(?:(?<=gh[pousr]_)[A-Za-z0-9]{36,251}|(?<=github_)pat_[A-Za-z0-9_]{60,240})",
      starts: "_",
      before: "pousrb",
    },
    find: tokenFinder(
      (text, at) => (text.startsWith("github", at - 6) && text.startsWith("_pat_", at) ? at - 6 : at - 3),
      (t) =>
        (/^gh[pousr]_[A-Za-z0-9]{36,251}$/.test(t) && randomBody(t.slice(4), 2)) ||
        (/^github_pat_[A-Za-z0-9_]{60,240}$/.test(t) && randomBody(t.slice(11), 2)),
    ),
  },
  mask: (raw) => tokenMask(raw, /^(?:gh[pousr]_|github_pat_)/),
});
