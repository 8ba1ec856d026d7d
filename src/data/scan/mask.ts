/** Building blocks of the masked previews each detector declares (`mask` in `detectors/`). */

/** Between 4 and 16 stars, about `n`. */
export function stars(n: number): string {
  return "*".repeat(Math.max(4, Math.min(n, 16)));
}

/**
 * Every digit but the last `keep` replaced by `*`, other characters kept.
 * @example keepLastDigits("+1 415 867 5309", 2) // "+* *** *** **09"
 */
export function keepLastDigits(raw: string, keep: number): string {
  let seen = 0;
  const total = raw.replace(/\D/g, "").length;
  return raw.replace(/\d/g, (d) => {
    seen += 1;
    return seen > total - keep ? d : "*";
  });
}

/**
 * A token's known prefix, stars, and its last four characters.
 * @example tokenMask("ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", /^gh[pousr]_/) // "ghp_****************q7R8"
 */
export function tokenMask(raw: string, prefix: RegExp): string {
  const p = prefix.exec(raw)?.[0] ?? raw.slice(0, 2);
  return `${p}${stars(raw.length - p.length - 4)}${raw.slice(-4)}`;
}

/**
 * A secret without a recognisable prefix: one character of a short one (a password), two at
 * each end of a long one.
 * @example secretMask("q8Fz2LmP0vRt7YwK3nHb") // "q8****************Hb"
 */
export function secretMask(raw: string): string {
  return raw.length < 16
    ? `${raw[0]}${stars(8)}`
    : `${raw.slice(0, 2)}${stars(raw.length - 4)}${raw.slice(-2)}`;
}

/** A PEM block: its header line and its length only. */
export function pemMask(raw: string): string {
  const header = /-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----/.exec(raw)?.[0] ?? "-----BEGIN PRIVATE KEY-----";
  return `${header} [${raw.length} chars]`;
}
