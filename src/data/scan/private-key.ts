import type { Hit } from "./findings.ts";

const END = /-----END[A-Z0-9 ]{0,40} PRIVATE KEY-----/g;
const GCP_KEY_FIELD = /\\?"private_key\\?"\s*:\s*\\?"$/;

/**
 * The span of a PEM private key block starting at `at` (the BEGIN line): up to its END line, or,
 * when the END line is missing (a truncated paste), over the base64 body that follows. Inside a
 * service-account JSON (`"private_key": "-----BEGIN…"` with `service_account` in the text) it is
 * reported as a GCP service-account key.
 * @example privateKeyHit("-----BEGIN PRIVATE KEY-----\nMIIB...\n-----END PRIVATE KEY-----", 0)
 */
export function privateKeyHit(text: string, at: number): Hit {
  END.lastIndex = at;
  const end = END.exec(text);
  let stop: number;
  let confidence = 0.99;
  if (end && end.index - at < 20_000) stop = end.index + end[0].length;
  else {
    const header = /-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY-----/.exec(text.slice(at))?.[0] ?? "";
    const body = /^(?:[A-Za-z0-9+/=\s]|\\n)*/.exec(text.slice(at + header.length))?.[0] ?? "";
    stop = at + header.length + body.trimEnd().length;
    confidence = 0.8;
  }
  const before = text.slice(Math.max(0, at - 40), at);
  const gcp = GCP_KEY_FIELD.test(before) && text.includes("service_account");
  return { detector: gcp ? "gcp_service_account_key" : "private_key", start: at, end: stop, confidence };
}
