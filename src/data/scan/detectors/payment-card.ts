import { isPaymentCard } from "../checks/cards.ts";
import { defineDetector } from "../detector.ts";

/** Card numbers: 13–19 digits as printed, a known issuer range and the Luhn checksum. */
export const paymentCard = defineDetector({
  id: "payment_card",
  kind: "pii",
  placeholder: "[CARD]",
  confidence: 0.95,
  finder: { digits: (run) => run.digits.length >= 13 && !run.plus && isPaymentCard(run.digits, run.groups) },
  mask(raw) {
    const digits = raw.replace(/\D/g, "");
    return `${digits.slice(0, 4)} **** **** ${digits.slice(-4)}`;
  },
});
