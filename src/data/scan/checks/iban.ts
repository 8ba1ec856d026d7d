/** IBAN length per country (ISO 13616 registry). */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MR: 27,
  MT: 31,
  MU: 30,
  NL: 18,
  NO: 15,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  SA: 24,
  SC: 31,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
};

/**
 * The registered IBAN length of a country code, if it has IBANs.
 * @example ibanLength("DE") // 22
 */
export function ibanLength(country: string): number | undefined {
  return IBAN_LENGTHS[country];
}

/**
 * ISO 7064 mod-97 check of a compact IBAN (no spaces): move the first four characters to the
 * end, letters become 10..35, and the number mod 97 must be 1.
 * @example ibanChecksumValid("GB82WEST12345698765432") // true
 */
export function ibanChecksumValid(compact: string): boolean {
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i += 1) {
    const code = rearranged.charCodeAt(i);
    if (code >= 48 && code <= 57) remainder = (remainder * 10 + (code - 48)) % 97;
    else if (code >= 65 && code <= 90) remainder = (remainder * 100 + (code - 55)) % 97;
    else return false;
  }
  return remainder === 1;
}

/**
 * Finds the IBAN at the start of a candidate such as `GB82 WEST 1234 5698 7654 32 and more`:
 * the country's length decides how many characters (spaces aside) belong to it. Returns the
 * length of the matched prefix of `candidate`, or 0 when there is no valid IBAN.
 * @example ibanPrefixLength("DE89 3704 0044 0532 0130 00") // 27
 */
export function ibanPrefixLength(candidate: string): number {
  const expected = ibanLength(candidate.slice(0, 2));
  if (expected === undefined) return 0;
  let compact = "";
  let i = 0;
  for (; i < candidate.length && compact.length < expected; i += 1) {
    const c = candidate[i] ?? "";
    if (c !== " ") compact += c;
  }
  if (compact.length !== expected || !ibanChecksumValid(compact)) return 0;
  return i;
}
