import { characterClasses, shannonEntropy } from "./entropy.ts";

/** Detectors a prefixed token can belong to. */
export type TokenDetector =
  | "aws_access_key_id"
  | "github_token"
  | "slack_token"
  | "stripe_key"
  | "openai_key";

export interface TokenVerdict {
  detector: TokenDetector;
  confidence: number;
}

/**
 * Classifies a token that starts with a known credential prefix, validating its body so that
 * prose such as `sk-learn-style-estimators` does not pass.
 * @example classifyToken("ghp_" + "a1B2".repeat(9)) // { detector: "github_token", confidence: 0.95 }
 */
export function classifyToken(token: string): TokenVerdict | undefined {
  if (/^A(?:KIA|SIA|BIA|CCA)[A-Z2-7]{16}$/.test(token)) {
    // Placeholders such as AKIAXXXXXXXXXXXXXXXX have almost no entropy; real ids are random base32.
    return shannonEntropy(token.slice(4)) >= 2.5
      ? { detector: "aws_access_key_id", confidence: 0.95 }
      : undefined;
  }
  if (/^gh[pousr]_[A-Za-z0-9]{36,251}$/.test(token)) return mixed(token.slice(4), "github_token", 0.95, 2);
  if (/^github_pat_[A-Za-z0-9_]{60,240}$/.test(token)) return mixed(token.slice(11), "github_token", 0.95, 2);
  if (/^xox[abpr]-(?:\d{6,}-){1,4}[A-Za-z0-9]{20,64}$/.test(token))
    return { detector: "slack_token", confidence: 0.95 };
  if (/^[sr]k_live_[A-Za-z0-9]{24,247}$/.test(token)) return mixed(token.slice(8), "stripe_key", 0.95, 2);
  const openai = /^sk-(?:(?:proj|svcacct|admin)-)?([A-Za-z0-9_-]{32,250})$/.exec(token);
  if (openai?.[1]) {
    if (token.includes("T3BlbkFJ")) return { detector: "openai_key", confidence: 0.99 };
    return mixed(openai[1], "openai_key", 0.85);
  }
  return undefined;
}

/**
 * Random token bodies mix character classes and look random. Behind a very specific prefix
 * (`ghp_`, `sk_live_`) two classes suffice; `sk-` alone also starts prose, so it needs three.
 */
function mixed(
  body: string,
  detector: TokenDetector,
  confidence: number,
  classes = 3,
): TokenVerdict | undefined {
  if (characterClasses(body.replace(/[-_]/g, "")) < classes || shannonEntropy(body) < 3.5) return undefined;
  return { detector, confidence };
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
