import type { DetectorId } from "./detectors.ts";
import { BASE62, HEX, type SeededRandom } from "./random.ts";

/**
 * Realistic values for each detector, generated from the formats' public specifications (issuer
 * ranges, IBAN registry lengths, NANP rules, token layouts) — not from the scanner's code.
 * Each returns the value and, for credentials, the text around it that real files carry.
 */
export type ValueMaker = (r: SeededRandom) => { before?: string; value: string; after?: string };

const FIRST = [
  "jane",
  "omar",
  "li",
  "priya",
  "marco",
  "ana",
  "tom",
  "fatima",
  "kenji",
  "olga",
  "sam",
  "noah",
];
const LAST = ["doe", "haddad", "wei", "sharma", "rossi", "silva", "baker", "khan", "sato", "ivanova", "lee"];
const DOMAINS = [
  "gmail.com",
  "outlook.com",
  "acme-corp.io",
  "uni-hamburg.de",
  "mail.acme.co.uk",
  "proton.me",
  "bigbank.com.au",
  "fastmail.fm",
];

/** Luhn check digit for a partial number (the spec computation, independent of the validator). */
function luhnDigit(partial: string): string {
  let sum = 0;
  for (let i = 0; i < partial.length; i += 1) {
    let d = Number(partial[partial.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

function nanp(r: SeededRandom): [string, string, string] {
  let area = `${r.int(2, 9)}${r.digits(2)}`;
  if (area.slice(1) === "11") area = `${area[0]}12`;
  let exchange = `${r.int(2, 9)}${r.digits(2)}`;
  if (exchange === "555") exchange = "556";
  return [area, exchange, r.digits(4)];
}

function b64(r: SeededRandom, n: number): string {
  return r.chars(`${BASE62}+/`, n);
}

function b64url(text: string): string {
  return Buffer.from(text).toString("base64url");
}

const IBAN_SPECS: ReadonlyArray<[string, number]> = [
  ["DE", 22],
  ["GB", 22],
  ["FR", 27],
  ["ES", 24],
  ["NL", 18],
  ["IT", 27],
  ["BE", 16],
  ["CH", 21],
  ["PL", 28],
  ["SE", 24],
];

/**
 * An IBAN with correct check digits: 98 - (BBAN + country + "00") mod 97, letters as 10..35.
 * @example ibanWithCheck("GB", "WEST12345698765432") // "GB82WEST12345698765432"
 */
export function ibanWithCheck(country: string, bban: string): string {
  const numeric = `${bban}${country}00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rem = 0;
  for (const ch of numeric) rem = (rem * 10 + Number(ch)) % 97;
  return `${country}${String(98 - rem).padStart(2, "0")}${bban}`;
}

function group4(text: string, sep: string): string {
  return text.replace(/(.{4})(?=.)/g, `$1${sep}`);
}

export const POSITIVE_MAKERS: Readonly<Record<Exclude<DetectorId, "canary">, ValueMaker>> = {
  email: (r) => {
    const f = r.pick(FIRST);
    const l = r.pick(LAST);
    const local = r.pick([`${f}.${l}`, `${f[0]}${l}`, `${f}_${l}${r.int(1, 99)}`, `${f}+news`, `${l}.${f}`]);
    return { value: `${local}@${r.pick(DOMAINS)}` };
  },
  phone: (r) => {
    const [a, e, l] = nanp(r);
    return {
      value: r.pick([
        `+1 (${a}) ${e}-${l}`,
        `+1-${a}-${e}-${l}`,
        `(${a}) ${e}-${l}`,
        `${a}-${e}-${l}`,
        `${a}.${e}.${l}`,
        `+44 20 ${r.int(3, 8)}${r.digits(3)} ${r.digits(4)}`,
        `+44 7${r.digits(3)} ${r.digits(6)}`,
        `020 ${r.int(3, 8)}${r.digits(3)} ${r.digits(4)}`,
        `07${r.digits(3)} ${r.digits(6)}`,
        `+49 30 ${r.int(1, 9)}${r.digits(6)}`,
        `+49 151 ${r.int(1, 9)}${r.digits(7)}`,
        `030 ${r.int(1, 9)}${r.digits(7)}`,
        `+33 1 ${r.digits(2)} ${r.digits(2)} ${r.digits(2)} ${r.digits(2)}`,
        `01 ${r.digits(2)} ${r.digits(2)} ${r.digits(2)} ${r.digits(2)}`,
        `+81 3-${r.digits(4)}-${r.digits(4)}`,
        `+91 9${r.digits(4)} ${r.digits(5)}`,
        `+4915${r.int(1, 9)}${r.digits(8)}`,
      ]),
    };
  },
  payment_card: (r) => {
    const [prefix, length] = r.pick<[string, number]>([
      ["4", 16],
      ["4", 16],
      ["51", 16],
      ["55", 16],
      ["2221", 16],
      ["2720", 16],
      ["34", 15],
      ["37", 15],
      ["6011", 16],
      ["65", 16],
      ["3530", 16],
      ["36", 14],
      ["62", 16],
      ["4", 19],
    ]);
    const partial = prefix + r.digits(length - prefix.length - 1);
    const digits = partial + luhnDigit(partial);
    if (length === 15) return { value: `${digits.slice(0, 4)} ${digits.slice(4, 10)} ${digits.slice(10)}` };
    return { value: r.pick([group4(digits, " "), group4(digits, "-"), digits]) };
  },
  us_ssn: (r) => {
    let area = r.int(1, 899);
    if (area === 666) area = 667;
    return {
      value: `${String(area).padStart(3, "0")}-${String(r.int(1, 99)).padStart(2, "0")}-${String(r.int(1, 9999)).padStart(4, "0")}`,
    };
  },
  iban: (r) => {
    const [country, length] = r.pick(IBAN_SPECS);
    const bankLetters = country === "GB" || country === "NL" ? r.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4) : "";
    const bban = bankLetters + r.digits(length - 4 - bankLetters.length);
    const iban = ibanWithCheck(country, bban);
    return { value: r.next() < 0.6 ? group4(iban, " ") : iban };
  },
  ipv4: (r) => ({
    value: `${r.pick([r.int(1, 126), r.int(128, 223)])}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`,
  }),
  ipv6: (r) => {
    const g = () => r.chars(HEX, r.int(1, 4)).replace(/^0+(?=.)/, "");
    return {
      value: r.pick([
        `2001:db8:${g()}:${g()}::${g()}`,
        `fe80::${g()}:${g()}:${g()}:${r.int(1, 9)}${r.chars(HEX, r.int(0, 3))}`,
        Array.from({ length: 8 }, () => `${r.int(1, 9)}${r.chars(HEX, 3)}`).join(":"),
      ]),
    };
  },
  aws_access_key_id: (r) => ({
    value: `${r.pick(["AKIA", "ASIA"])}${r.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)}`,
  }),
  aws_secret_access_key: (r) => ({
    before: r.pick([
      "aws_secret_access_key = ",
      "AWS_SECRET_ACCESS_KEY=",
      '"SecretAccessKey": "',
      "aws_secret_access_key: ",
    ]),
    value: b64(r, 40),
  }),
  gcp_service_account_key: (r) => ({
    before: `{"type": "service_account", "project_id": "acme-${r.digits(5)}", "private_key_id": "${r.chars(HEX, 40)}", "private_key": "`,
    value: `-----BEGIN PRIVATE KEY-----\\n${b64(r, 64)}\\n${b64(r, 64)}\\n${b64(r, 20)}=\\n-----END PRIVATE KEY-----`,
    after: `\\n", "client_id": "${r.digits(21)}"}`,
  }),
  azure_storage_key: (r) => ({
    before: `DefaultEndpointsProtocol=https;AccountName=acme${r.digits(4)};AccountKey=`,
    value: Buffer.from(Array.from({ length: 64 }, () => r.int(0, 255))).toString("base64"),
    after: ";EndpointSuffix=core.windows.net",
  }),
  private_key: (r) => {
    const kind = r.pick(["RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", ""]);
    const lines = Array.from({ length: r.int(2, 6) }, () => b64(r, 64)).join("\n");
    return { value: `-----BEGIN ${kind}PRIVATE KEY-----\n${lines}\n-----END ${kind}PRIVATE KEY-----` };
  },
  jwt: (r) => {
    const header = b64url(JSON.stringify({ alg: r.pick(["HS256", "RS256", "ES256"]), typ: "JWT" }));
    const payload = b64url(
      JSON.stringify({ sub: r.digits(8), name: r.pick(FIRST), iat: 1_700_000_000 + r.int(0, 1e7) }),
    );
    return { value: `${header}.${payload}.${r.chars(`${BASE62}-_`, 43)}` };
  },
  github_token: (r) => ({
    value: r.pick([
      `${r.pick(["ghp", "gho", "ghs", "ghu"])}_${r.chars(BASE62, 36)}`,
      `github_pat_11${r.chars(BASE62, 20)}_${r.chars(BASE62, 59)}`,
    ]),
  }),
  slack_token: (r) => ({
    value: r.pick([
      `xoxb-${r.digits(12)}-${r.digits(13)}-${r.chars(BASE62, 24)}`,
      `xoxp-${r.digits(10)}-${r.digits(10)}-${r.digits(12)}-${r.chars(HEX, 32)}`,
      `xoxa-${r.digits(11)}-${r.digits(12)}-${r.chars(BASE62, 26)}`,
    ]),
  }),
  stripe_key: (r) => ({ value: `${r.pick(["sk_live_", "rk_live_"])}${r.chars(BASE62, r.int(24, 99))}` }),
  openai_key: (r) => ({
    value: r.pick([
      `sk-${r.chars(BASE62, 20)}T3BlbkFJ${r.chars(BASE62, 20)}`,
      `sk-proj-${r.chars(`${BASE62}_-`, r.int(48, 120))}`,
      `sk-${r.chars(BASE62, 48)}`,
    ]),
  }),
  generic_secret: (r) => ({
    before: r.pick([
      "client_secret: '",
      "DB_PASSWORD=",
      'api_key = "',
      '"auth_token": "',
      "SENDGRID_KEY=",
      "secret=",
      "export MAILGUN_API_KEY=",
    ]),
    value: r.chars(`${BASE62}`, r.int(20, 40)),
  }),
};
