import { isWordChar } from "./chars.ts";
import type { DetectorSpec, KeyValueFinder, Span } from "./detector.ts";

/**
 * The shared `key = value` branch: a `:` or `=` (also `=>` and `:=`) after a key-ish identifier
 * (`aws_secret_access_key = …`, `DB_PASSWORD: …`). The value goes to the key-value detectors
 * in registry order (`KeyValueFinder`).
 */

/** Case-insensitive spelling of a lower-case word without the `i` flag. */
function anyCase(word: string): string {
  return word.replace(/[a-z]/g, (c) => `[${c}${c.toUpperCase()}]`);
}

/** Words that make the identifier before `=` or `:` key-ish (`DB_PASSWORD`, `aws_secret_access_key`). */
const KEYWORDS = [
  "pass(?:word|wd|phrase)?",
  "pwd",
  "secret",
  "token",
  "api[_-]?key",
  "access[_-]?key",
  "private[_-]?key",
  "auth",
  "credential",
  "[_-]key",
].map((k) => k.replace(/(?<![[\\])[a-z]+/g, (w) => anyCase(w)));

/** The branch of the combined pattern; the lookbehind sits after the separator, so it runs only there. */
export const KEY_VALUE_BRANCH = {
  source: String.raw`[:=](?<=(?:${KEYWORDS.join("|")})[\w.-]{0,24}["']?\s{0,3}[:=])`,
  starts: ":=",
};

const KEYWORD =
  /(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|auth|credential|[_-]key)[\w.-]{0,24}$/i;
const VALUE = /[A-Za-z0-9+/=_\-.~!@#$%^&*]{8,200}/y;

export type KeyValueDetector = DetectorSpec & { finder: KeyValueFinder };

/**
 * The credential after a separator at `at` that follows a key-ish identifier, judged by the
 * key-value detectors. Returns the hit, if any, and where the value starts and ends.
 * @example credentialAfter("token: Zm9vYmFyYmF6cXV4MTIzNDU2", 5, detectors)
 */
export function credentialAfter(
  text: string,
  at: number,
  detectors: readonly KeyValueDetector[],
):
  | { hit: (Span & { detector: KeyValueDetector }) | undefined; valueStart: number; valueEnd: number }
  | undefined {
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
  const raw = VALUE.exec(text)?.[0];
  if (!raw) return undefined;
  const valueEnd = v + raw.length;
  const key = text.slice(idStart, j);
  const value = raw.replace(/[.,;!]+$/, "");
  const context = { next: text[valueEnd] ?? "", trimmed: value.length !== raw.length };
  for (const detector of detectors) {
    const verdict = detector.finder.keyValue(key, value, context);
    if (verdict === false) continue;
    const span = { start: v, end: v + value.length, detector };
    return { hit: verdict === true ? span : { ...span, confidence: verdict }, valueStart: v, valueEnd };
  }
  return { hit: undefined, valueStart: v, valueEnd };
}
