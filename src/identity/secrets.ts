import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Bearer tokens look like `crt_` + 43 base64url characters (256 random bits). */
export const TOKEN_PREFIX = "crt_";
const TOKEN_SHAPE = /^crt_[A-Za-z0-9_-]{43}$/;

/**
 * A fresh bearer secret. Shown once to its holder; only its hash is stored.
 * @example newTokenSecret() // "crt_Vb0...43 chars"
 */
export function newTokenSecret(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
}

/** @example looksLikeToken("crt_abc") // false (too short) */
export function looksLikeToken(value: string): boolean {
  return TOKEN_SHAPE.test(value);
}

/**
 * The stored form of a secret: lower-case hex SHA-256.
 * @example hashSecret(secret) // 64 hex characters, what the tokens table keeps
 */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/**
 * Constant-time equality of two hex digests of the same length.
 * @example sameDigest(row.secret_hash, hashSecret(presented))
 */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
