import type { PiiDetectorId } from "../../../src/data/scan/detectors.ts";
import type { ValueMaker } from "./labelled-values.ts";
import { HEX, type SeededRandom } from "./random.ts";

export const FIRST_NAMES = [
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
  // Reserved and documentation domains (RFC 2606 / 6761): real datasets are full of them, and the
  // local part is as memorable there as anywhere.
  "example.com",
  "support.example.org",
  "example.net",
  "staging.test",
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

/**
 * Realistic personal data for each PII detector, generated from the formats' public
 * specifications (issuer ranges and Luhn, the IBAN registry and mod-97, NANP rules, national
 * phone layouts) — not from the scanner's code.
 */
export const PII_MAKERS: Readonly<Record<PiiDetectorId, ValueMaker>> = {
  email: (r) => {
    const f = r.pick(FIRST_NAMES);
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
};
