import { randomBody } from "../checks/tokens.ts";
import { defineDetector } from "../detector.ts";
import { tokenMask } from "../mask.ts";
import { tokenFinder } from "../token.ts";

/** Stripe secret and restricted live keys (`sk_live_`, `rk_live_`). */
export const stripeKey = defineDetector({
  id: "stripe_key",
  kind: "secret",
  placeholder: "[SECRET:stripe_key]",
  confidence: 0.95,
  finder: {
    branch: {
      source: "_(?<=[sr]k_)live_[A-Za-z0-9]{24,247}",
      starts: "_",
      before: "k",
    },
    find: tokenFinder(
      (_, at) => at - 2,
      (t) => /^[sr]k_live_[A-Za-z0-9]{24,247}$/.test(t) && randomBody(t.slice(8), 2),
    ),
  },
  mask: (raw) => tokenMask(raw, /^[sr]k_live_/),
});
