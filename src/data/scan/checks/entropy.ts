/**
 * Shannon entropy of a string in bits per character.
 * @example shannonEntropy("aaaa") // 0
 */
export function shannonEntropy(value: string): number {
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * How many of lower case, upper case, digits and other characters a string uses.
 * @example characterClasses("aB3") // 3
 */
export function characterClasses(value: string): number {
  return (
    Number(/[a-z]/.test(value)) +
    Number(/[A-Z]/.test(value)) +
    Number(/\d/.test(value)) +
    Number(/[^A-Za-z0-9]/.test(value))
  );
}

const LOOK_ALIKES: readonly RegExp[] = [
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, // UUID
  /^(?:[0-9a-f]{7,}|[0-9A-F]{7,})$/, // hex digests: git SHAs, sha1, sha256
  /^(?:sha\d{1,3}|md5)[:-]/i, // labelled digests
  /^v?\d+(?:\.\d+){1,3}(?:[-+][0-9A-Za-z.-]+)?$/, // version strings
  /^[A-Z]{2,6}[-_]?\d[\d-]*$/, // order / ticket / invoice numbers
  /^[\d\s./:-]+$/, // numbers and dates
  /^[a-z]+(?:[-_.][a-z]+)+$/, // dashed or dotted words
  /^(?:[A-Z][a-z]+){2,}$/, // CamelCaseWords
  /^pk_(?:live|test)_[A-Za-z0-9]+$/, // Stripe publishable keys: public by design, shipped to browsers
];

/**
 * Whether a high-entropy-looking value is one of the common non-secrets: UUIDs, hex hashes,
 * version strings, order numbers, dates, identifiers made of words, public keys meant to be
 * published (Stripe's `pk_live_…`).
 * @example looksLikeNonSecret("3f2504e0-4f89-11d3-9a0c-0305e82c3301") // true
 */
export function looksLikeNonSecret(value: string): boolean {
  return LOOK_ALIKES.some((pattern) => pattern.test(value));
}
