import { defineDetector } from "../detector.ts";
import { tokenMask } from "../mask.ts";
import { tokenFinder } from "../token.ts";

/** Slack tokens (`xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`): numeric parts, then a random tail. */
export const slackToken = defineDetector({
  id: "slack_token",
  kind: "secret",
  placeholder: "[SECRET:slack_token]",
  confidence: 0.95,
  finder: {
    branch: {
      source: "-(?<=xox[abpr]-)[A-Za-z0-9-]{20,250}",
      starts: "-",
      before: "abpr",
    },
    find: tokenFinder(
      (_, at) => at - 4,
      (t) => /^xox[abpr]-(?:\d{6,}-){1,4}[A-Za-z0-9]{20,64}$/.test(t),
    ),
  },
  mask: (raw) => tokenMask(raw, /^xox[abpr]-/),
});
