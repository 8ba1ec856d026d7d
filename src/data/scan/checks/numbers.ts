/**
 * Validators for personal numbers written with separators. Each takes the candidate text (a
 * run of digit groups such as `(202) 555-0143`) already split into digit groups.
 */

/** A digit run as found in text: its digits, group sizes and the separators between groups. */
export interface DigitRun {
  text: string;
  digits: string;
  groups: number[];
  /** Separators between consecutive groups, e.g. [") ", "-"]. */
  separators: string[];
  /** Starts with `+` (or `(+`): an international number. */
  plus: boolean;
}

/**
 * US Social Security number as written `AAA-GG-SSSS` (or with spaces): area 001–899 except 666,
 * group 01–99, serial 0001–9999.
 * @example isUsSsn(run("536-22-8512")) // true
 */
export function isUsSsn(run: DigitRun): boolean {
  if (run.plus || run.groups.join() !== "3,2,4") return false;
  const [a, b] = run.separators;
  if (a !== b || (a !== "-" && a !== " ")) return false;
  const area = Number(run.digits.slice(0, 3));
  const group = Number(run.digits.slice(3, 5));
  const serial = Number(run.digits.slice(5));
  return area > 0 && area !== 666 && area < 900 && group > 0 && serial > 0;
}

/**
 * IPv4 dotted quad with octets 0–255 and no leading zeros, that can name a host: not in
 * 0.0.0.0/8 ("this network"), 127.0.0.0/8 (loopback) or 224.0.0.0 and up (multicast,
 * reserved, broadcast), which identify no one.
 * @example isIpv4(run("192.168.1.20")) // true
 */
export function isIpv4(run: DigitRun): boolean {
  if (run.plus || run.groups.length !== 4 || run.separators.some((s) => s !== ".")) return false;
  const octets = run.text.split(".");
  if (!octets.every((octet) => Number(octet) <= 255 && (octet.length === 1 || octet[0] !== "0")))
    return false;
  const first = Number(octets[0]);
  return first !== 0 && first !== 127 && first < 224;
}

/**
 * Phone numbers: international (`+` country code, 8–15 digits as E.164 allows, `+1` numbers
 * checked as NANP), North American `(NXX) NXX-XXXX` / `NXX-NXX-XXXX` (area and exchange start
 * 2–9, area not N11, and the fictional 555-0100..0199 block excluded), and national numbers with
 * a trunk `0` (10–11 digits in 2–5 groups of 2–8 digits).
 * @example isPhone(run("+44 20 7946 0958")) // true
 */
export function isPhone(run: DigitRun): boolean {
  const { digits, groups } = run;
  if (groups.length > 1 && groups.some((g) => g > (run.plus ? 12 : 8))) return false;
  if (run.separators.some((s) => s === ".") && run.separators.some((s) => s !== ".")) return false;
  if (run.plus) {
    if (digits.startsWith("1")) return digits.length === 11 && nanpValid(digits.slice(1));
    return digits.length >= 8 && digits.length <= 15 && digits[0] !== "0";
  }
  const shape = groups.join(",");
  if (shape === "3,3,4" || shape === "1,3,3,4") {
    if (shape === "1,3,3,4" && digits[0] !== "1") return false;
    return nanpSeparators(run.separators.slice(shape === "1,3,3,4" ? 1 : 0)) && nanpValid(digits.slice(-10));
  }
  return (
    digits[0] === "0" &&
    digits[1] !== "0" &&
    digits.length >= 10 &&
    digits.length <= 11 &&
    groups.length >= 2 &&
    groups.length <= 5 &&
    groups.every((g) => g >= 2)
  );
}

function nanpSeparators(separators: string[]): boolean {
  const [a, b] = separators;
  if (a === ") " || a === ")") return b === "-" || b === " ";
  return a === b && (a === "-" || a === "." || a === " ");
}

/** Ten NANP digits: area and exchange start 2–9, area not N11, not the fictional 555-01XX. */
function nanpValid(ten: string): boolean {
  if (ten.length !== 10) return false;
  const area = ten.slice(0, 3);
  const exchange = ten.slice(3, 6);
  if (area[0] === "0" || area[0] === "1" || area.slice(1) === "11") return false;
  if (exchange[0] === "0" || exchange[0] === "1") return false;
  return !(exchange === "555" && ten.slice(6, 8) === "01");
}
