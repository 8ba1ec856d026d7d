import type { ChatRole, DataRecord } from "../records.ts";

/**
 * The canonical line of a JSONL record written straight from the bytes of its source line,
 * without re-serialising or re-encoding: the hot path of the dataset digest.
 *
 * It answers for the two shapes that JSON writers produce (`JSON.stringify`, Python's
 * `json.dumps(separators=(",", ":"))`): `{"text":"…"}` and
 * `{"messages":[{"role":"…","content":"…"},…]}` with no whitespace and no other key. The
 * canonical line sorts keys (`content` before `role`), so a chat line is the same bytes
 * reordered. A string literal is copied only when it re-serialises to itself: `JSON.stringify`
 * of a string escapes exactly `"`, `\`, control characters (as `\b \f \n \r \t` or lower-case
 * `\u00XX`) and lone surrogates, and writes everything else literally. A literal without `\u`
 * and `\/` escapes therefore re-serialises to itself: JSON.parse would have rejected raw control
 * characters, valid UTF-8 holds no lone surrogate, and every other escape it accepts
 * (`\" \\ \b \f \n \r \t`) is the one stringify writes.
 * Anything else — whitespace, other keys, key escapes, `\u` — gets `undefined` and the caller
 * serialises the parsed record instead.
 */

const encoder = new TextEncoder();
const bytesOf = (s: string) => encoder.encode(s);
const TEXT_OPEN = bytesOf('{"text":"');
const MESSAGES_OPEN = bytesOf('{"messages":[');
const ROLE_OPEN = bytesOf('{"role":"');
const CONTENT_KEY = bytesOf('","content":"');
const CONTENT_OPEN = bytesOf('{"content":"');
const ROLE_KEY = bytesOf('","role":"');
const MESSAGE_CLOSE = bytesOf('"}');
const MESSAGES_CLOSE = bytesOf("]}");
const roleBytes = new Map<string, Uint8Array>();

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function roleOf(role: ChatRole): Uint8Array {
  let bytes = roleBytes.get(role);
  if (!bytes) {
    bytes = bytesOf(role);
    roleBytes.set(role, bytes);
  }
  return bytes;
}

function matchAt(raw: Uint8Array, at: number, bytes: Uint8Array): boolean {
  if (at + bytes.length > raw.length) return false;
  for (let i = 0; i < bytes.length; i += 1) if (raw[at + i] !== bytes[i]) return false;
  return true;
}

/**
 * Index of the closing quote of the string literal that starts at `from` (just after its
 * opening quote) when the literal re-serialises to itself, else -1. `cursor.backslash` caches
 * the next backslash at or after the previous search, so a line is searched once, not once per
 * literal.
 */
function stableLiteralEnd(raw: Uint8Array, from: number, cursor: { backslash: number }): number {
  let p = from;
  for (;;) {
    const quote = raw.indexOf(QUOTE, p);
    if (quote === -1) return -1;
    if (cursor.backslash !== -1 && cursor.backslash < p) cursor.backslash = raw.indexOf(BACKSLASH, p);
    const b = cursor.backslash;
    if (b === -1 || b > quote) return quote;
    const escaped = raw[b + 1];
    if (escaped === 0x75 /* u */ || escaped === 0x2f /* / */) return -1;
    p = b + 2;
  }
}

/**
 * Writes the canonical line (with its `\n`) of `record`, read from `raw` (its JSONL source
 * line without the line break) into `target` at `offset`, and returns the bytes written; or
 * returns -1 and writes nothing when `raw` is not in a shape it can copy. The canonical line of
 * such a line is as long as the line plus one, so `target` needs `raw.length + 1` bytes free.
 * @example
 * const out = new Uint8Array(64);
 * canonicalJsonlInto(bytes('{"messages":[{"role":"user","content":"hi"}]}'), record, out, 0)
 * // out holds '{"messages":[{"content":"hi","role":"user"}]}\n'
 */
export function canonicalJsonlInto(
  raw: Uint8Array,
  record: DataRecord,
  target: Uint8Array,
  offset: number,
): number {
  const cursor = { backslash: raw.indexOf(BACKSLASH) };
  if ("text" in record) {
    if (!matchAt(raw, 0, TEXT_OPEN)) return -1;
    const end = stableLiteralEnd(raw, TEXT_OPEN.length, cursor);
    if (end !== raw.length - 2 || raw[end + 1] !== 0x7d) return -1;
    target.set(raw, offset);
    target[offset + raw.length] = 0x0a;
    return raw.length + 1;
  }
  if (!matchAt(raw, 0, MESSAGES_OPEN)) return -1;
  const { messages } = record;
  // [contentStart, contentEnd] per message, checked before anything is written.
  const spans = new Array<number>(messages.length * 2);
  let at = MESSAGES_OPEN.length;
  for (let i = 0; i < messages.length; i += 1) {
    if (i > 0) {
      if (raw[at] !== 0x2c /* , */) return -1;
      at += 1;
    }
    const role = roleOf(messages[i]!.role);
    if (!matchAt(raw, at, ROLE_OPEN) || !matchAt(raw, at + ROLE_OPEN.length, role)) return -1;
    at += ROLE_OPEN.length + role.length;
    if (!matchAt(raw, at, CONTENT_KEY)) return -1;
    at += CONTENT_KEY.length;
    const end = stableLiteralEnd(raw, at, cursor);
    if (end === -1 || !matchAt(raw, end, MESSAGE_CLOSE)) return -1;
    spans[2 * i] = at;
    spans[2 * i + 1] = end;
    at = end + MESSAGE_CLOSE.length;
  }
  if (at + MESSAGES_CLOSE.length !== raw.length || !matchAt(raw, at, MESSAGES_CLOSE)) return -1;
  let out = offset;
  const put = (bytes: Uint8Array) => {
    target.set(bytes, out);
    out += bytes.length;
  };
  put(MESSAGES_OPEN);
  for (let i = 0; i < messages.length; i += 1) {
    if (i > 0) target[out++] = 0x2c;
    put(CONTENT_OPEN);
    put(raw.subarray(spans[2 * i]!, spans[2 * i + 1]!));
    put(ROLE_KEY);
    put(roleOf(messages[i]!.role));
    put(MESSAGE_CLOSE);
  }
  put(MESSAGES_CLOSE);
  target[out++] = 0x0a;
  return out - offset;
}
