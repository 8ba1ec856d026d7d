/** Personal data detectors. */
export type PiiDetectorId = "email" | "phone" | "payment_card" | "us_ssn" | "iban" | "ipv4" | "ipv6";

/** Credential detectors. */
export type SecretDetectorId =
  | "aws_access_key_id"
  | "aws_secret_access_key"
  | "gcp_service_account_key"
  | "azure_storage_key"
  | "private_key"
  | "jwt"
  | "github_token"
  | "slack_token"
  | "stripe_key"
  | "openai_key"
  | "generic_secret";

/** Every detector the scanner runs; `canary` matches the workspace's planted canary strings. */
export type DetectorId = PiiDetectorId | SecretDetectorId | "canary";

export const PII_DETECTORS: readonly PiiDetectorId[] = [
  "email",
  "phone",
  "payment_card",
  "us_ssn",
  "iban",
  "ipv4",
  "ipv6",
];

export const SECRET_DETECTORS: readonly SecretDetectorId[] = [
  "aws_access_key_id",
  "aws_secret_access_key",
  "gcp_service_account_key",
  "azure_storage_key",
  "private_key",
  "jwt",
  "github_token",
  "slack_token",
  "stripe_key",
  "openai_key",
  "generic_secret",
];

export const ALL_DETECTORS: readonly DetectorId[] = [...PII_DETECTORS, ...SECRET_DETECTORS, "canary"];

export type DetectorKind = "pii" | "secret" | "canary";

/**
 * Whether a detector finds personal data, a credential or a canary.
 * @example detectorKind("jwt") // "secret"
 */
export function detectorKind(id: DetectorId): DetectorKind {
  if (id === "canary") return "canary";
  return (PII_DETECTORS as readonly string[]).includes(id) ? "pii" : "secret";
}

const PII_PLACEHOLDERS: Record<PiiDetectorId, string> = {
  email: "[EMAIL]",
  phone: "[PHONE]",
  payment_card: "[CARD]",
  us_ssn: "[SSN]",
  iban: "[IBAN]",
  ipv4: "[IP]",
  ipv6: "[IP]",
};

/**
 * The typed placeholder that redaction writes in place of a finding. Placeholders contain no
 * character any detector can match, so redacted text scans clean.
 * @example placeholder("aws_access_key_id") // "[SECRET:aws_access_key_id]"
 */
export function placeholder(id: DetectorId): string {
  if (id === "canary") return "[CANARY]";
  const kind = detectorKind(id);
  return kind === "pii" ? PII_PLACEHOLDERS[id as PiiDetectorId] : `[SECRET:${id}]`;
}
