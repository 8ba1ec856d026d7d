/**
 * Strict IPv6 text check: eight groups of 1–4 hex digits, or fewer with exactly one `::`, at
 * least two non-empty groups and at least one decimal digit (so words such as `dead::beef` and
 * times such as `10:30:00` do not pass).
 * @example isIpv6("2001:db8::8a2e:370:7334") // true
 */
export function isIpv6(text: string): boolean {
  if (!/\d/.test(text)) return false;
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const parts = halves.flatMap((h) => (h === "" ? [] : h.split(":")));
  if (parts.length < 2 || !parts.every((p) => /^[0-9A-Fa-f]{1,4}$/.test(p))) return false;
  return halves.length === 2 ? parts.length <= 7 : parts.length === 8;
}
