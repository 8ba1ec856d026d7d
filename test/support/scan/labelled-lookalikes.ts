import { ibanWithCheck } from "./labelled-pii.ts";
import { BASE62, HEX, type SeededRandom } from "./random.ts";

/**
 * Look-alikes: strings that share a shape with PII or credentials but are not, which a scanner
 * must leave alone. Each maker returns a short phrase to embed in a sentence.
 */
export const LOOKALIKE_MAKERS: ReadonlyArray<(r: SeededRandom) => string> = [
  (r) => `request id ${uuid(r)}`,
  (r) => `token: ${uuid(r)}`,
  (r) => `commit ${r.chars(HEX, 40)}`,
  (r) => `checksum sha256 ${r.chars(HEX, 64)}`,
  (r) => `secret_sha256 = ${r.chars(HEX, 64)}`,
  (r) => `upgraded to v${r.int(1, 20)}.${r.int(0, 30)}.${r.int(0, 99)}`,
  (r) => `running version ${r.int(1, 12)}.${r.int(0, 9)}.${r.int(0, 9)}.${r.int(0, 999)}`,
  (r) => `order #ORD-${r.int(2019, 2026)}-${r.digits(6)}`,
  (r) => `Order No. ${r.int(1, 1)}${r.digits(2)}-${r.digits(3)}-${r.digits(4)}`,
  (r) => `invoice INV-${r.digits(8)}`,
  (r) =>
    `on ${r.int(2000, 2030)}-${String(r.int(1, 12)).padStart(2, "0")}-${String(r.int(1, 28)).padStart(2, "0")} at ${r.int(10, 23)}:${r.int(10, 59)}:${r.int(10, 59)}`,
  (r) =>
    `on ${String(r.int(1, 28)).padStart(2, "0")}/${String(r.int(1, 12)).padStart(2, "0")}/${r.int(2000, 2030)}`,
  (r) => `ISBN 978-${r.int(0, 1)}-${r.digits(3)}-${r.digits(5)}-${r.digits(1)}`,
  (r) => `ISBN ${r.int(0, 1)}-${r.digits(3)}-${r.digits(5)}-${r.digits(1)}`,
  (r) => `UPS tracking 1Z${r.chars("0123456789ABCDEFGHJKLMNPRSTUVWXYZ", 6)}${r.digits(10)}`,
  (r) => `USPS ${group(`94${r.digits(20)}`, 4)}`,
  (r) => `FedEx ${r.digits(4)} ${r.digits(4)} ${r.digits(4)}`,
  (r) => `card ${failingCard(r)}`,
  (r) => `IBAN ${brokenIban(r)}`,
  (r) => `the fictional (${r.int(2, 9)}${r.digits(2)}) 555-01${r.digits(2)}`,
  (r) => `call 555-01${r.digits(2)}`,
  (r) =>
    `SSN ${r.pick(["666", "000", `9${r.digits(2)}`])}-${r.digits(2).replace(/^00$/, "12")}-${r.digits(4).replace(/^0000$/, "1234")}`,
  (r) => `${r.int(256, 999)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(0, 255)} is not an address`,
  (r) => `MAC ${Array.from({ length: 6 }, () => r.chars(HEX, 2)).join(":")}`,
  (r) => `the ratio was ${r.int(1, 99)}:${r.int(1, 99)}`,
  () => "AKIAXXXXXXXXXXXXXXXX is the placeholder in the docs",
  () => "password: changeme",
  () => "api_key = your-api-key-here",
  (r) =>
    `scikit's sk-learn-compatible-${r.pick(["estimators", "pipelines", "transformers"])}-for-everyone-${r.pick(["today", "now"])}`,
  (r) => `price ${r.int(1, 999)}.${r.digits(2)} EUR, qty ${r.int(1, 99)}`,
  (r) => `@${r.pick(["jane", "devops", "team"])} mentioned it on user@localhost`,
  (r) => `npm install left-pad@${r.int(1, 3)}.${r.int(0, 9)}.${r.int(0, 9)}`,
  (r) => `eyJ${r.chars(BASE62, 12)} is just a prefix`,
  (r) => `ghp_${r.chars(BASE62, 10)} is truncated`,
  (r) => `population ${r.digits(3)} ${r.digits(3)} ${r.digits(3)}`,
  (r) => `room ${r.int(100, 999)}, floor ${r.int(1, 40)}, ext. ${r.digits(4)}`,
  // Identifiers shaped exactly like PII, told apart only by the word before them.
  (r) => `Invoice No. ${r.int(2, 9)}${r.digits(2)}-${r.int(2, 9)}${r.digits(2)}-${r.digits(4)}`,
  (r) => `part #${r.int(100, 599)}-${r.int(10, 99)}-${r.int(1000, 9999)}`,
  (r) => `SKU ${luhnPassing(r, `4${r.digits(11)}`)}`,
  (r) => `tracking number: ${r.int(2, 9)}${r.digits(2)} ${r.int(2, 9)}${r.digits(2)} ${r.digits(4)}`,
  (r) => `see section ${r.int(1, 30)}.${r.int(1, 9)}.${r.int(1, 9)}.${r.int(1, 9)} of the spec`,
  (r) => `listening on 0.0.0.0:${r.int(1024, 65535)} and 127.0.0.${r.int(1, 9)}`,
  (r) => `const authToken = this.session.${r.pick(["token", "refreshToken", "currentToken"])}();`,
  (r) => `if (!password) password = process.env.${r.pick(["DB_PASSWORD", "PGPASSWORD"])};`,
  () => "PWD: '/Users/maciej/projects'",
  (r) => `<img src="/assets/logo-${r.pick(["light", "dark"])}@${r.int(2, 3)}x.png">`,
  // Publishable keys are public by design (shipped in web pages); only secret keys are secrets.
  (r) => `STRIPE_PUBLISHABLE_KEY=${r.pick(["pk_live_", "pk_test_"])}${r.chars(BASE62, r.int(24, 99))}`,
  (r) => `Stripe.setPublishableKey('pk_live_${r.chars(BASE62, r.int(24, 99))}');`,
];

/** Appends the digit that makes `partial` pass Luhn: a number any card check alone would take. */
function luhnPassing(_r: SeededRandom, partial: string): string {
  for (let d = 0; d <= 9; d += 1) if (luhnOk(`${partial}${d}`)) return `${partial}${d}`;
  return `${partial}0`;
}

function uuid(r: SeededRandom): string {
  return `${r.chars(HEX, 8)}-${r.chars(HEX, 4)}-4${r.chars(HEX, 3)}-a${r.chars(HEX, 3)}-${r.chars(HEX, 12)}`;
}

function group(text: string, n: number): string {
  return text.replace(new RegExp(`(.{${n}})(?=.)`, "g"), "$1 ");
}

/** A Visa-shaped number whose last digit breaks the Luhn checksum. */
function failingCard(r: SeededRandom): string {
  const partial = `4${r.digits(14)}`;
  for (let d = 0; d <= 9; d += 1) {
    const candidate = `${partial}${d}`;
    if (!luhnOk(candidate)) return group(candidate, 4);
  }
  return group(`${partial}0`, 4);
}

function luhnOk(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** A German IBAN with its check digits changed, so mod-97 fails. */
function brokenIban(r: SeededRandom): string {
  const good = ibanWithCheck("DE", r.digits(18));
  const check = Number(good.slice(2, 4));
  const wrong = String(((check + r.int(1, 90)) % 97) + 2).padStart(2, "0");
  return group(`DE${wrong === good.slice(2, 4) ? "01" : wrong}${good.slice(4)}`, 4);
}
