import type { DetectorId } from "./detectors.ts";

const PREFIXES =
  /^(?:AKIA|ASIA|ABIA|ACCA|gh[pousr]_|github_pat_|xox[abpr]-|[sr]k_live_|sk-(?:proj-|svcacct-|admin-)?)/;

/**
 * A preview of a finding that never contains the raw value: enough to recognise the kind and,
 * for structured values, which one (last digits of a card, domain initial of an e-mail).
 * @example maskValue("email", "jane.doe@example.com") // "j***@e***.com"
 * @example maskValue("payment_card", "4111-1111-1111-1111") // "4111 **** **** 1111"
 * @example maskValue("aws_access_key_id", "AKIAIOSFODNN7EXAMPLE") // "AKIA************MPLE"
 */
export function maskValue(detector: DetectorId, raw: string): string {
  switch (detector) {
    case "email": {
      const at = raw.lastIndexOf("@");
      const domain = raw.slice(at + 1);
      const dot = domain.lastIndexOf(".");
      return `${raw[0]}***@${domain[0]}***${domain.slice(dot)}`;
    }
    case "payment_card": {
      const digits = raw.replace(/\D/g, "");
      return `${digits.slice(0, 4)} **** **** ${digits.slice(-4)}`;
    }
    case "us_ssn":
      return `***-**-${raw.replace(/\D/g, "").slice(-4)}`;
    case "phone":
      return keepLastDigits(raw, 2);
    case "iban": {
      const compact = raw.replace(/\s/g, "");
      return `${compact.slice(0, 4)} ${"*".repeat(compact.length - 6)}${compact.slice(-2)}`;
    }
    case "ipv4":
      return `${raw.split(".")[0]}.*.*.*`;
    case "ipv6":
      return `${raw.split(":")[0] || ""}:****`;
    case "private_key":
    case "gcp_service_account_key": {
      const header = /-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----/.exec(raw)?.[0] ?? "-----BEGIN PRIVATE KEY-----";
      return `${header} [${raw.length} chars]`;
    }
    case "jwt":
      return `${raw.slice(0, 6)}***.***.***`;
    case "canary":
      return `${raw.slice(0, 3)}*** [${raw.length} chars]`;
    case "generic_secret":
    case "aws_secret_access_key":
    case "azure_storage_key":
      // A short secret (a password) shows one character; a long one two at each end.
      return raw.length < 16
        ? `${raw[0]}${stars(8)}`
        : `${raw.slice(0, 2)}${stars(raw.length - 4)}${raw.slice(-2)}`;
    default: {
      const prefix = PREFIXES.exec(raw)?.[0] ?? raw.slice(0, 2);
      return `${prefix}${stars(raw.length - prefix.length - 4)}${raw.slice(-4)}`;
    }
  }
}

function stars(n: number): string {
  return "*".repeat(Math.max(4, Math.min(n, 16)));
}

function keepLastDigits(raw: string, keep: number): string {
  let seen = 0;
  const total = raw.replace(/\D/g, "").length;
  return raw.replace(/\d/g, (d) => {
    seen += 1;
    return seen > total - keep ? d : "*";
  });
}
