import { randomBytes } from "node:crypto";

declare const brand: unique symbol;
/** A string that the type system keeps apart from other strings. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/**
 * A new opaque id: `<prefix>_<time><random>` in Crockford base32, sortable by creation time.
 * @example newId("run") // "run_01hx3k9y2m7q4v8c1z5t6r0b3n"
 */
export function newId(prefix: string): string {
  const time = Date.now().toString(32).padStart(9, "0");
  const random = base32(randomBytes(10));
  return `${prefix}_${time}${random}`;
}

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let acc = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}
