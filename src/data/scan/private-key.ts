const HEADER = /^-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY-----/;
const END = /-----END[A-Z0-9 ]{0,40} PRIVATE KEY-----/;
const BODY = /^(?:[A-Za-z0-9+/=\s]|\\[nr])*/;
const GCP_KEY_FIELD = /\\?"private_key\\?"\s*:\s*\\?"$/;

/** How far around a header the END line and a service-account marker are looked for. */
const WINDOW = 20_000;

/** Fewer base64 characters than this after the header is code that mentions the header, not a key. */
const MIN_BODY = 32;

export interface PemBlock {
  start: number;
  end: number;
  /** Lower when the END line is missing. */
  confidence: number;
  /** Inside a service-account JSON (`"private_key": "-----BEGIN…"`, `service_account` nearby). */
  serviceAccount: boolean;
}

/**
 * The PEM private key block starting at `at` (a `-----BEGIN`): from the BEGIN line to its END
 * line, or, when the END line is missing (a truncated paste), over the base64 body that
 * follows. A header without a body (`indexOf("-----BEGIN PRIVATE KEY-----")` in code) is no key.
 * @example pemBlockAt(`-----BEGIN PRIVATE KEY-----\n${"A".repeat(64)}\n-----END PRIVATE KEY-----`, 0)
 */
export function pemBlockAt(text: string, at: number): PemBlock | undefined {
  const header = HEADER.exec(text.slice(at, at + 80))?.[0];
  if (!header) return undefined;
  const bodyStart = at + header.length;
  // Keys are a few kilobytes: look for the END line nearby only, so many headers stay linear.
  const window = text.slice(bodyStart, bodyStart + WINDOW);
  const end = END.exec(window);
  let body: string;
  let stop: number;
  let confidence = 0.99;
  if (end) {
    body = window.slice(0, end.index);
    stop = bodyStart + end.index + end[0].length;
  } else {
    body = (BODY.exec(window)?.[0] ?? "").trimEnd();
    stop = bodyStart + body.length;
    confidence = 0.8;
  }
  if (body.replace(/\\[nr]|[^A-Za-z0-9+/=]/g, "").length < MIN_BODY) return undefined;
  const before = text.slice(Math.max(0, at - 40), at);
  const serviceAccount =
    GCP_KEY_FIELD.test(before) &&
    text.slice(Math.max(0, at - WINDOW), stop + WINDOW).includes("service_account");
  return { start: at, end: stop, confidence, serviceAccount };
}
