/**
 * Luhn (mod 10) checksum over a string of digits.
 * @example luhnValid("4111111111111111") // true
 */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i -= 1) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Issuer ranges: [low prefix, high prefix] (same length) and the allowed card lengths. */
const ISSUERS: ReadonlyArray<{ name: string; low: number; high: number; lengths: readonly number[] }> = [
  { name: "visa", low: 4, high: 4, lengths: [13, 16, 19] },
  { name: "mastercard", low: 51, high: 55, lengths: [16] },
  { name: "mastercard", low: 2221, high: 2720, lengths: [16] },
  { name: "amex", low: 34, high: 34, lengths: [15] },
  { name: "amex", low: 37, high: 37, lengths: [15] },
  { name: "discover", low: 6011, high: 6011, lengths: [16, 17, 18, 19] },
  { name: "discover", low: 644, high: 649, lengths: [16, 17, 18, 19] },
  { name: "discover", low: 65, high: 65, lengths: [16, 17, 18, 19] },
  { name: "jcb", low: 3528, high: 3589, lengths: [16, 17, 18, 19] },
  { name: "diners", low: 300, high: 305, lengths: [14, 15, 16, 17, 18, 19] },
  { name: "diners", low: 36, high: 36, lengths: [14, 15, 16, 17, 18, 19] },
  { name: "diners", low: 38, high: 39, lengths: [16, 17, 18, 19] },
  { name: "unionpay", low: 62, high: 62, lengths: [16, 17, 18, 19] },
  { name: "maestro", low: 50, high: 50, lengths: [13, 14, 15, 16, 17, 18, 19] },
  { name: "maestro", low: 56, high: 58, lengths: [13, 14, 15, 16, 17, 18, 19] },
];

/**
 * The issuer a card number's prefix and length belong to, or undefined.
 * @example cardIssuer("378282246310005") // "amex"
 */
export function cardIssuer(digits: string): string | undefined {
  for (const issuer of ISSUERS) {
    const width = String(issuer.low).length;
    const prefix = Number(digits.slice(0, width));
    if (prefix >= issuer.low && prefix <= issuer.high && issuer.lengths.includes(digits.length))
      return issuer.name;
  }
  return undefined;
}

/**
 * Whether digit groups are laid out as cards are printed: one run, groups of four (the last may
 * be shorter), or 4-6-5 / 4-6-4 (Amex, Diners).
 * @example cardGrouping([4, 4, 4, 4]) // true
 */
export function cardGrouping(groups: readonly number[]): boolean {
  if (groups.length === 1) return true;
  const key = groups.join("-");
  if (key === "4-6-5" || key === "4-6-4") return true;
  const last = groups[groups.length - 1] ?? 0;
  return groups.slice(0, -1).every((g) => g === 4) && last >= 1 && last <= 4;
}

/**
 * Full card check: 13–19 digits, printed grouping, a known issuer range and the Luhn checksum.
 * @example isPaymentCard("4111111111111111", [4, 4, 4, 4]) // true
 */
export function isPaymentCard(digits: string, groups: readonly number[]): boolean {
  return (
    digits.length >= 13 &&
    digits.length <= 19 &&
    cardGrouping(groups) &&
    cardIssuer(digits) !== undefined &&
    luhnValid(digits)
  );
}
