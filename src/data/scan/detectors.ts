import type { DetectorKind as SpecKind } from "./detector.ts";
import { awsAccessKeyId } from "./detectors/aws-access-key-id.ts";
import { awsSecretAccessKey } from "./detectors/aws-secret-access-key.ts";
import { azureStorageKey } from "./detectors/azure-storage-key.ts";
import { email } from "./detectors/email.ts";
import { gcpServiceAccountKey } from "./detectors/gcp-service-account-key.ts";
import { genericSecret } from "./detectors/generic-secret.ts";
import { githubToken } from "./detectors/github-token.ts";
import { iban } from "./detectors/iban.ts";
import { ipv4 } from "./detectors/ipv4.ts";
import { ipv6 } from "./detectors/ipv6.ts";
import { jwt } from "./detectors/jwt.ts";
import { openaiKey } from "./detectors/openai-key.ts";
import { paymentCard } from "./detectors/payment-card.ts";
import { phone } from "./detectors/phone.ts";
import { privateKey } from "./detectors/private-key.ts";
import { slackToken } from "./detectors/slack-token.ts";
import { stripeKey } from "./detectors/stripe-key.ts";
import { usSsn } from "./detectors/us-ssn.ts";

/**
 * The registry: every detector the scanner runs, one line each (the module in `detectors/`
 * declares the rest). Order matters twice: reports list detectors in this order, and where two
 * detectors share a candidate source (digit runs, `key = value`) the earlier one is asked first.
 */
export const DETECTORS = [
  email,
  phone,
  paymentCard,
  usSsn,
  iban,
  ipv4,
  ipv6,
  awsAccessKeyId,
  awsSecretAccessKey,
  gcpServiceAccountKey,
  azureStorageKey,
  privateKey,
  jwt,
  githubToken,
  slackToken,
  stripeKey,
  openaiKey,
  genericSecret,
] as const;

type Registered = (typeof DETECTORS)[number];

/** Personal data detectors. */
export type PiiDetectorId = Extract<Registered, { kind: "pii" }>["id"];

/** Credential detectors. */
export type SecretDetectorId = Extract<Registered, { kind: "secret" }>["id"];

/** Every detector the scanner runs; `canary` matches the workspace's planted canary strings. */
export type DetectorId = PiiDetectorId | SecretDetectorId | "canary";

export type DetectorKind = SpecKind | "canary";

const isPii = (d: Registered): d is Extract<Registered, { kind: "pii" }> => d.kind === "pii";
const isSecret = (d: Registered): d is Extract<Registered, { kind: "secret" }> => d.kind === "secret";

export const PII_DETECTORS: readonly PiiDetectorId[] = DETECTORS.filter(isPii).map((d) => d.id);
export const SECRET_DETECTORS: readonly SecretDetectorId[] = DETECTORS.filter(isSecret).map((d) => d.id);
export const ALL_DETECTORS: readonly DetectorId[] = [...PII_DETECTORS, ...SECRET_DETECTORS, "canary"];

const BY_ID = new Map<string, Registered>(DETECTORS.map((d) => [d.id, d]));

function specOf(id: Exclude<DetectorId, "canary">): Registered {
  const spec = BY_ID.get(id);
  if (!spec) throw new Error(`detector ${id} is not in the registry (src/data/scan/detectors.ts)`);
  return spec;
}

/**
 * Whether a detector finds personal data, a credential or a canary.
 * @example detectorKind("jwt") // "secret"
 */
export function detectorKind(id: DetectorId): DetectorKind {
  return id === "canary" ? "canary" : specOf(id).kind;
}

/**
 * The typed placeholder that redaction writes in place of a finding. Placeholders contain no
 * character any detector can match, so redacted text scans clean.
 * @example placeholder("aws_access_key_id") // "[SECRET:aws_access_key_id]"
 */
export function placeholder(id: DetectorId): string {
  return id === "canary" ? "[CANARY]" : specOf(id).placeholder;
}

/**
 * A preview of a finding that never contains the raw value: enough to recognise the kind and,
 * for structured values, which one (last digits of a card, domain initial of an e-mail).
 * @example maskValue("email", "jane.doe@example.com") // "j***@e***.com"
 * @example maskValue("payment_card", "4111-1111-1111-1111") // "4111 **** **** 1111"
 * @example maskValue("aws_access_key_id", "AKIAIOSFODNN7EXAMPLE") // "AKIA************MPLE"
 */
export function maskValue(id: DetectorId, raw: string): string {
  return id === "canary" ? `${raw.slice(0, 3)}*** [${raw.length} chars]` : specOf(id).mask(raw);
}
