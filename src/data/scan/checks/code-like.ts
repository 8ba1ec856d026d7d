/** Source code, not a secret: member paths, negations, URLs, constants. */
const CODE_LIKE: readonly RegExp[] = [
  /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/, // this.options.token, exports.AuthMessage
  /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/, // CONSTANT_CASE identifiers
  /^!/, // !!flag
  /:\/\//, // URLs
];

/**
 * Share of a value covered by word-like runs (`Authentication`, `token`, `Start`): letters
 * with vowels in them, as words have. Identifiers and paths are mostly words; random secrets
 * almost never are (measured: 0.04% of random base62 strings reach 70%, against 0.2% when
 * vowels are not required).
 */
function wordCoverage(value: string): number {
  let covered = 0;
  for (const m of value.matchAll(/[A-Z]?[a-z]{3,}/g)) {
    const vowels = m[0].match(/[aeiouyAEIOUY]/g)?.length ?? 0;
    if (vowels / m[0].length >= 0.2) covered += m[0].length;
  }
  return covered / value.length;
}

/**
 * Whether a value next to a key-ish word is source code or a path rather than a secret
 * (`authToken = this.session.token`, `AuthenticationMD5Password`, `PWD: /Users/me/src`).
 * @example looksLikeCode("allowPositionInLeadingTrivia") // true
 */
export function looksLikeCode(value: string): boolean {
  if (CODE_LIKE.some((pattern) => pattern.test(value))) return true;
  const coverage = wordCoverage(value);
  return coverage >= 0.7 || (/^(?:\.{0,2}\/|~\/)/.test(value) && coverage >= 0.5);
}
