import { characterClasses, shannonEntropy } from "./entropy.ts";

/**
 * Whether a token body looks random: it mixes character classes and has entropy. Behind a very
 * specific prefix (`ghp_`, `sk_live_`) two classes suffice; `sk-` alone also starts prose, so it
 * needs three.
 * @example randomBody("a1B2c3D4e5F6g7H8i9J0", 2) // true
 */
export function randomBody(body: string, classes = 3): boolean {
  return characterClasses(body.replace(/[-_]/g, "")) >= classes && shannonEntropy(body) >= 3.5;
}

/**
 * A JSON Web Token: three base64url parts whose header decodes to a JSON object with `alg`.
 * @example isJwt("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlX2J5dGVz") // true
 */
export function isJwt(token: string): boolean {
  const parts = token.split(".");
  if (parts.length !== 3) return false;
  const header = decodeJson(parts[0] ?? "");
  return header !== undefined && typeof header.alg === "string" && decodeJson(parts[1] ?? "") !== undefined;
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  const json = Buffer.from(part, "base64url").toString("utf8");
  // Only an object can be a JWT part; skip the (slow) failing parse of anything else.
  if (!json.startsWith("{") || !json.trimEnd().endsWith("}")) return undefined;
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An Azure storage account key: 88 base64 characters decoding to 64 bytes.
 * @example isAzureStorageKey("A".repeat(86) + "==") // true
 */
export function isAzureStorageKey(key: string): boolean {
  return /^[A-Za-z0-9+/]{86}==$/.test(key) && Buffer.from(key, "base64").length === 64;
}
