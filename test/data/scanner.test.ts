import { describe, expect, it } from "vitest";
import { cardIssuer, luhnValid } from "../../src/data/scan/checks/cards.ts";
import { ibanChecksumValid } from "../../src/data/scan/checks/iban.ts";
import { isIpv6 } from "../../src/data/scan/checks/ipv6.ts";
import { isJwt } from "../../src/data/scan/checks/tokens.ts";
import type { DetectorId } from "../../src/data/scan/detectors.ts";
import { Scanner } from "../../src/data/scan/scanner.ts";

const scanner = new Scanner({ canaries: ["zebra-canary-17"] });
const azureKey = Buffer.alloc(64, 7).toString("base64");
const pemBody = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW";

/** [detector, text, the exact value the detector must cover] */
const POSITIVES: Array<[DetectorId, string, string]> = [
  ["email", "write to jane.doe+x@mail.example.co.uk today", "jane.doe+x@mail.example.co.uk"],
  ["phone", "call +1 (415) 867-5309 now", "+1 (415) 867-5309"],
  ["phone", "Tel. +49 30 901820", "+49 30 901820"],
  ["phone", "office 212.867.5309.", "212.867.5309"],
  ["phone", "ring 01632 960983 after six", "01632 960983"],
  ["payment_card", "paid with 5555-5555-5555-4444 yesterday", "5555-5555-5555-4444"],
  ["payment_card", "card 378282246310005", "378282246310005"],
  ["us_ssn", "SSN 536-22-8512.", "536-22-8512"],
  ["iban", "IBAN: FR14 2004 1010 0505 0001 3M02 606 thanks", "FR14 2004 1010 0505 0001 3M02 606"],
  ["ipv4", "from 203.0.113.77:443", "203.0.113.77"],
  ["ipv6", "host fe80::1ff:fe23:4567:890a up", "fe80::1ff:fe23:4567:890a"],
  ["aws_access_key_id", "id ASIAY34FZKBOKMUTVV7A here", "ASIAY34FZKBOKMUTVV7A"],
  [
    "aws_secret_access_key",
    'aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  ],
  ["azure_storage_key", `AccountName=a;AccountKey=${azureKey};EndpointSuffix=core.windows.net`, azureKey],
  [
    "private_key",
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${pemBody}\n-----END OPENSSH PRIVATE KEY-----`,
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${pemBody}\n-----END OPENSSH PRIVATE KEY-----`,
  ],
  [
    "gcp_service_account_key",
    `{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\n${pemBody}\\n-----END PRIVATE KEY-----\\n"}`,
    `-----BEGIN PRIVATE KEY-----\\n${pemBody}\\n-----END PRIVATE KEY-----`,
  ],
  [
    "jwt",
    "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz",
    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz",
  ],
  [
    "github_token",
    "GH=github_pat_11ABCDEFG0aBcDeFgHiJkLmN_oPqRsTuVwXyZ0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ01234",
    "github_pat_11ABCDEFG0aBcDeFgHiJkLmN_oPqRsTuVwXyZ0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ01234",
  ],
  [
    "github_token",
    "use ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8 now",
    "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
  ],
  ["stripe_key", "key sk_live_4eC39HqLyjWDarjtT1zdp7dc.", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"],
  [
    "slack_token",
    "bot xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx ok",
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
  ],
  [
    "slack_token",
    "xoxp-2345678901-3456789012-4567890123-a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
    "xoxp-2345678901-3456789012-4567890123-a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
  ],
  ["stripe_key", "rk_live_51H8aBcDeFgHiJkLmNoPqRsTu2", "rk_live_51H8aBcDeFgHiJkLmNoPqRsTu2"],
  [
    "openai_key",
    "OPENAI=sk-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6l",
    "sk-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6l",
  ],
  ["generic_secret", "client_secret: 'q8Fz2LmP0vRt7YwK3nHb'", "q8Fz2LmP0vRt7YwK3nHb"],
  ["canary", "the phrase zebra-canary-17 appears", "zebra-canary-17"],
];

const NEGATIVES: string[] = [
  "request id 3f2504e0-4f89-11d3-9a0c-0305e82c3301 and commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
  "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 token: 9fceb02d0ae598e95dc970b74767f19372d61af8",
  "upgrade to v1.2.3.4 or version 10.4.2.1; order ORD-2024-118734; order 123-456-7890",
  "ISBN 978-0-306-40615-7 and 0-306-40615-2, shipped 2024-01-05 at 10:30:00",
  "the fictional (415) 555-0132 and 555-0199, card 4111 1111 1111 1112, IBAN GB82 WEST 1234 5698 7654 33",
  "SSN 666-12-3456 and 000-12-3456 are invalid, 999.300.2.1 is not an IP, dead::beef is a word",
  "password: changeme and api_key = your-api-key-here and token: $(GITHUB_TOKEN)",
  "scikit uses sk-learn-compatible-estimators-for-pipelines-and-more naming",
  "tracking 1Z999AA10123456784 and USPS 9400 1000 0000 0000 0000 00",
  "user@localhost and npm install left-pad@1.3.0",
  "Invoice No. 415-867-5309, part #512-34-8876 and SKU 4111111111111111 are identifiers",
  'if (pem.indexOf("-----BEGIN PRIVATE KEY-----") !== 0) throw new Error("not PKCS#8");',
  "const authToken = this.session.refreshToken; authMessage = clientFirstMessageBare + nonce;",
  "md5Password = AuthenticationMD5Password; PWD: '/Users/maciej/projects'",
  "listening on 0.0.0.0:8080, 127.0.0.1 and multicast 224.0.0.114; see section 24.5.1.1",
  '<img src="/logo@2x.png"> and <img src="icon@3x.webp"> in the page',
  "STRIPE_PUBLISHABLE_KEY=pk_live_51H8aBcDeFgHiJkLmNoPqRsTu2vWxYz0123 and pk_test_4eC39HqLyjWDarjtT1zdp7dc",
  "host 10.10.10.10.example.com runs v8 11.3.244.8-node.9 per ES6$25.4.5.4",
];

describe("scanner", () => {
  for (const [detector, text, value] of POSITIVES) {
    it(`finds ${detector} in ${JSON.stringify(text.slice(0, 40))}`, () => {
      const findings = scanner.scanRecord({ text }, 7);
      expect(findings.map((f) => [f.detector, text.slice(...f.span)])).toEqual([[detector, value]]);
      const finding = findings[0]!;
      expect(finding).toMatchObject({ record: 7, field: "text" });
      expect(finding.preview).not.toContain(value);
      expect(finding.confidence).toBeGreaterThan(0);
      expect(finding.confidence).toBeLessThanOrEqual(1);
    });
  }

  for (const text of NEGATIVES) {
    it(`finds nothing in look-alikes: ${JSON.stringify(text.slice(0, 50))}`, () => {
      expect(scanner.scanText(text).map((h) => [h.detector, text.slice(h.start, h.end)])).toEqual([]);
    });
  }

  it("a label word suppresses only the number right after it", () => {
    const text = "order 415-867-5309 placed; call 415-867-5309; account number 4111 1111 1111 1111";
    expect(scanner.scanText(text).map((h) => [h.detector, text.slice(h.start, h.end)])).toEqual([
      ["phone", "415-867-5309"],
      ["payment_card", "4111 1111 1111 1111"],
    ]);
  });

  it("finds any of many canaries, the longest where one is a prefix of another", () => {
    const canaries = [
      ...Array.from({ length: 50 }, (_, i) => `crucible-canary-${i}-q`),
      "plant",
      "plant.v2(x)",
    ];
    const many = new Scanner({ canaries });
    const text = "a crucible-canary-37-q here, plant.v2(x) there, plant";
    expect(many.scanText(text).map((h) => text.slice(h.start, h.end))).toEqual([
      "crucible-canary-37-q",
      "plant.v2(x)",
      "plant",
    ]);
  });

  it("names chat fields by JSON path", () => {
    const findings = scanner.scanRecord(
      {
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: "mail bob@corp.io" },
        ],
      },
      0,
    );
    expect(findings.map((f) => [f.field, f.span])).toEqual([["messages[1].content", [5, 16]]]);
  });

  it("reports a token inside key=value as the specific detector, not generic_secret", () => {
    const text = "token=ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8";
    expect(scanner.scanText(text).map((h) => h.detector)).toEqual(["github_token"]);
  });

  it("finds several numbers in one run of digit groups", () => {
    const text = "cards 4111-1111-1111-1111 5555-5555-5555-4444";
    expect(scanner.scanText(text).map((h) => text.slice(h.start, h.end))).toEqual([
      "4111-1111-1111-1111",
      "5555-5555-5555-4444",
    ]);
  });

  it("validators reject near misses", () => {
    expect(luhnValid("4111111111111111")).toBe(true);
    expect(luhnValid("4111111111111112")).toBe(false);
    expect(cardIssuer("9111111111111111")).toBeUndefined();
    expect(ibanChecksumValid("GB82WEST12345698765432")).toBe(true);
    expect(ibanChecksumValid("GB83WEST12345698765432")).toBe(false);
    expect(isIpv6("1:2:3:4:5:6:7:8")).toBe(true);
    expect(isIpv6("1:2:3")).toBe(false);
    expect(isJwt("eyJmb28iOiJiYXIifQ.eyJzdWIiOiIxIn0.c2lnbmF0dXJl")).toBe(false); // header has no alg
  });
});
