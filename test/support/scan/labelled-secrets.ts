import type { SecretDetectorId } from "../../../src/data/scan/detectors.ts";
import { FIRST_NAMES } from "./labelled-pii.ts";
import type { ValueMaker } from "./labelled-values.ts";
import { BASE62, HEX, type SeededRandom } from "./random.ts";

function b64(r: SeededRandom, n: number): string {
  return r.chars(`${BASE62}+/`, n);
}

function b64url(text: string): string {
  return Buffer.from(text).toString("base64url");
}

/**
 * Realistic credentials for each secret detector, generated from the providers' published
 * layouts (prefixes, lengths, alphabets), with the text around them that real files carry.
 */
export const SECRET_MAKERS: Readonly<Record<SecretDetectorId, ValueMaker>> = {
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
      JSON.stringify({ sub: r.digits(8), name: r.pick(FIRST_NAMES), iat: 1_700_000_000 + r.int(0, 1e7) }),
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
