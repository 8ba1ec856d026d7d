import { isAzureStorageKey } from "./checks/tokens.ts";
import type { Hit } from "./findings.ts";
import { judgeKeyValue } from "./key-value.ts";

/** Characters of an e-mail local part. */
const LOCAL = /[A-Za-z0-9._%+-]/;
const DOMAIN =
  /[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])/y;
/**
 * Domains that name no one's mailbox: the reserved example domains and TLDs (RFC 2606, 6761)
 * and file extensions that follow an `@` in asset names (`logo@2x.png`).
 */
const NOT_A_MAILBOX =
  /(?:^|\.)example\.(?:com|org|net)$|\.(?:example|test|invalid|localhost|local|png|jpe?g|gif|svg|webp|ico|css|m?js|tsx?|jsx|json|html?|ya?ml|xml|lock|map)$/i;
const KEYWORD =
  /(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|auth|credential|[_-]key)[\w.-]{0,24}$/i;
const VALUE = /[A-Za-z0-9+/=_\-.~!@#$%^&*]{8,200}/y;
const AZURE_KEY = /[A-Za-z0-9+/]{86}==/y;
const HEX_COLON = /[0-9A-Fa-f:]/;

/**
 * True when `c` is an ASCII word character (`[A-Za-z0-9_]`), or one of `extra`.
 * @example isWordChar("-", ".-") // true
 */
export function isWordChar(c: string | undefined, extra = ""): boolean {
  if (c === undefined || c === "") return false;
  const code = c.charCodeAt(0);
  return (
    (code >= 48 && code <= 57) ||
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    code === 95 ||
    extra.includes(c)
  );
}

/**
 * The e-mail address around an `@` at `at`: the local part is read backwards (up to 64
 * characters, starting with a letter or digit), the domain forwards (labels and an alphabetic
 * top-level domain). Reserved example domains and asset names (`icon@2x.png`) are no address.
 * @example emailAt("to jane@acme.io", 7) // { detector: "email", start: 3, end: 15, confidence: 0.95 }
 */
export function emailAt(text: string, at: number): Hit | undefined {
  let start = at;
  while (start > 0 && at - start < 64 && LOCAL.test(text[start - 1] ?? "")) start -= 1;
  if (start > 0 && LOCAL.test(text[start - 1] ?? "")) return undefined; // local part too long
  while (start < at && !isWordChar(text[start])) start += 1;
  if (start === at || text.slice(start, at).includes("..")) return undefined;
  DOMAIN.lastIndex = at + 1;
  const domain = DOMAIN.exec(text);
  if (!domain || NOT_A_MAILBOX.test(domain[0])) return undefined;
  return { detector: "email", start, end: at + 1 + domain[0].length, confidence: 0.95 };
}

/**
 * The hex-and-colon run around a `:` at `at` (at most 45 characters each way), and whether it
 * is a candidate IPv6 address for the caller to validate: it may not touch word characters,
 * dots or further colons, and has at least two colons. The caller resumes after `end` either
 * way, so a long run of colons is looked at once, not once per colon.
 * @example hexColonRun("host fe80::1 up", 9) // { start: 5, end: 12, candidate: true }
 */
export function hexColonRun(text: string, at: number): { start: number; end: number; candidate: boolean } {
  let start = at;
  let end = at + 1;
  while (start > 0 && at - start < 45 && HEX_COLON.test(text[start - 1] ?? "")) start -= 1;
  while (end < text.length && end - at < 45 && HEX_COLON.test(text[end] ?? "")) end += 1;
  let colons = 0;
  for (let i = start; i < end; i += 1) if (text.charCodeAt(i) === 58) colons += 1;
  // Every IPv6 address has at least two colons (`a::b`); times such as 09:30 have one.
  const candidate = colons >= 2 && !isWordChar(text[start - 1], ".:") && !isWordChar(text[end], ":");
  return { start, end, candidate };
}

/**
 * The Azure storage account key after `AccountKey=` (the `=` at `at`): 88 base64 characters
 * that decode to 64 bytes.
 * @example azureKeyAfter("AccountKey=" + key, 10)
 */
export function azureKeyAfter(text: string, at: number): Hit | undefined {
  AZURE_KEY.lastIndex = at + 1;
  const key = AZURE_KEY.exec(text)?.[0];
  if (!key || !isAzureStorageKey(key)) return undefined;
  return { detector: "azure_storage_key", start: at + 1, end: at + 1 + key.length, confidence: 0.95 };
}

/**
 * The credential after a separator at `at` (`:` or `=`, also `=>` and `:=`) that follows a
 * key-ish identifier (`aws_secret_access_key = …`, `DB_PASSWORD: …`), judged by
 * `judgeKeyValue`. Returns the hit, if any, and where the value starts.
 * @example credentialAfter("token: Zm9vYmFyYmF6cXV4MTIzNDU2", 5)
 */
export function credentialAfter(
  text: string,
  at: number,
): { hit: Hit | undefined; valueStart: number; valueEnd: number } | undefined {
  let j = at;
  while (j > 0 && at - j < 3 && text[j - 1] === " ") j -= 1;
  if (text[j - 1] === '"' || text[j - 1] === "'") j -= 1;
  let idStart = j;
  while (idStart > 0 && j - idStart < 64 && isWordChar(text[idStart - 1], ".-")) idStart -= 1;
  if (idStart === j || !KEYWORD.test(text.slice(idStart, j))) return undefined;
  let v = at + 1;
  if (text[v] === ">" || (text[at] === ":" && text[v] === "=")) v += 1;
  while (v < text.length && v - at < 5 && text[v] === " ") v += 1;
  if (text[v] === '"' || text[v] === "'" || text[v] === "`") v += 1;
  VALUE.lastIndex = v;
  const value = VALUE.exec(text)?.[0];
  if (!value) return undefined;
  const valueEnd = v + value.length;
  return { hit: judgeKeyValue(text.slice(idStart, j), value, v, text[valueEnd]), valueStart: v, valueEnd };
}

/**
 * Where a prefixed token starts, given where the pattern matched it: at the `A` of an AWS key
 * id, or before the `_` / `-` that the pattern anchors lower-case prefixes on (`ghp_`,
 * `github_pat_`, `sk_live_`, `rk_live_`, `xoxb-`, `sk-`).
 * @example tokenStart("key ghp_abc", 7) // 4
 */
export function tokenStart(text: string, at: number): number {
  const c = text[at];
  if (c === "_") {
    if (text.startsWith("github", at - 6) && text.startsWith("_pat_", at)) return at - 6;
    return /gh[pousr]/.test(text.slice(at - 3, at)) ? at - 3 : at - 2;
  }
  if (c === "-") return /xox[abpr]/.test(text.slice(at - 4, at)) ? at - 4 : at - 2;
  return at;
}
