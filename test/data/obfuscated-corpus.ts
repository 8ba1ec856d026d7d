/**
 * An evaluation set written apart from the scanner and from `test/support/scan`: its own random
 * source, its own value construction (check digits computed here), its own sentences, and
 * obfuscations applied at random — a format character or a line break inside the value,
 * full-width characters, no-break spaces — to true values and to look-alikes alike.
 */

export type Obfuscation = "none" | "format" | "linebreak" | "fullwidth" | "nbsp";
export const OBFUSCATIONS: readonly Obfuscation[] = ["none", "format", "linebreak", "fullwidth", "nbsp"];

export interface EvalLine {
  text: string;
  obfuscation: Obfuscation;
  /** The true value, if any: its detector and span in `text`. */
  truth?: { detector: string; start: number; end: number };
}

/** xorshift32: a random source unrelated to the labelled set's. */
class Xorshift {
  constructor(private s: number) {
    if (this.s === 0) this.s = 0x9e3779b9;
  }
  u(): number {
    this.s ^= this.s << 13;
    this.s ^= this.s >>> 17;
    this.s ^= this.s << 5;
    return (this.s >>> 0) / 2 ** 32;
  }
  n(lo: number, hi: number): number {
    return lo + Math.floor(this.u() * (hi - lo + 1));
  }
  of<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.u() * xs.length)]!;
  }
  str(alphabet: string, k: number): string {
    return Array.from({ length: k }, () => this.of([...alphabet])).join("");
  }
}

const DIG = "0123456789";
const UP = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM = `${UP}abcdefghijklmnopqrstuvwxyz${DIG}`;
const FORMAT_CHARS = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff", "\u200e"];

function mod10Check(body: string): string {
  let total = 0;
  [...body].reverse().forEach((ch, i) => {
    const d = Number(ch) * (i % 2 === 0 ? 2 : 1);
    total += d > 9 ? d - 9 : d;
  });
  return String((10 - (total % 10)) % 10);
}

function mod97(numeric: string): number {
  let r = 0;
  for (const ch of numeric) r = (r * 10 + ch.charCodeAt(0) - 48) % 97;
  return r;
}

function iban(g: Xorshift, cc: string, bban: string): string {
  const numeric = `${bban}${cc}00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  return `${cc}${String(98 - mod97(numeric)).padStart(2, "0")}${bban}`.replace(
    /(.{4})(?=.)/g,
    g.u() < 0.5 ? "$1 " : "$1",
  );
}

function b64url(s: string): string {
  return Buffer.from(s).toString("base64url");
}

type Maker = (g: Xorshift) => string;

const TRUE_VALUES: Record<string, Maker> = {
  payment_card: (g) => {
    const body = g.of(["4", "51", "52", "53", "54", "55"]) + g.str(DIG, 13);
    const card = (body + mod10Check(body)).slice(0, 15) + mod10Check((body + mod10Check(body)).slice(0, 15));
    return g.u() < 0.6 ? card.replace(/(\d{4})(?=\d)/g, "$1 ") : card;
  },
  us_ssn: (g) => `${g.n(100, 665)}-${String(g.n(10, 99))}-${String(g.n(1000, 9999))}`,
  phone: (g) => {
    const area = `${g.n(2, 9)}${g.n(0, 9)}${g.n(2, 9)}`;
    const exch = `${g.n(2, 9)}${g.str(DIG, 2)}`.replace(/^555$/, "556");
    const line = g.str(DIG, 4);
    return g.of([`(${area}) ${exch}-${line}`, `${area}-${exch}-${line}`, `+1 ${area} ${exch} ${line}`]);
  },
  email: (g) =>
    `${g.of(["maria", "chen", "dev.ops", "k.tanaka", "r_ortiz"])}${g.n(1, 99)}@${g.of(["posteo.de", "example-mail.io", "corp.co.uk", "uni.edu", "example.com", "mail.example.org", "shop.test"])}`,
  ipv4: (g) => `${g.of([g.n(11, 126), g.n(128, 191)])}.${g.n(0, 255)}.${g.n(0, 255)}.${g.n(1, 254)}`,
  iban: (g) => (g.u() < 0.5 ? iban(g, "DE", g.str(DIG, 18)) : iban(g, "GB", g.str(UP, 4) + g.str(DIG, 14))),
  aws_access_key_id: (g) => `AKIA${g.str("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)}`,
  stripe_key: (g) => `sk_live_${g.str(ALNUM, 32)}`,
  github_token: (g) => `ghp_${g.str(ALNUM, 36)}`,
  jwt: (g) =>
    `${b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${b64url(JSON.stringify({ uid: g.n(1, 1e6) }))}.${g.str(`${ALNUM}_-`, 40)}`,
};

const LOOK_ALIKES: Maker[] = [
  (g) => {
    const body = `4${g.str(DIG, 14)}`;
    const bad = String((Number(mod10Check(body)) + g.n(1, 9)) % 10);
    return (body + bad).replace(/(\d{4})(?=\d)/g, "$1 ");
  },
  (g) => `${g.of(["666", "000", "912"])}-${g.n(10, 99)}-${g.n(1000, 9999)}`,
  (g) => `(${g.n(2, 9)}${g.str(DIG, 2)}) 555-01${g.str(DIG, 2)}`,
  (g) => `version ${g.n(1, 9)}.${g.n(0, 20)}.${g.n(0, 9)}.${g.n(0, 99)}`,
  (g) =>
    `${g.str("0123456789abcdef", 8)}-${g.str("0123456789abcdef", 4)}-4${g.str("0123456789abcdef", 3)}-8${g.str("0123456789abcdef", 3)}-${g.str("0123456789abcdef", 12)}`,
  (g) => g.str("0123456789abcdef", 40),
  (g) => `${g.str(DIG, 8)}\n${g.str(DIG, 8)}`,
  () => "AKIAXXXXXXXXXXXXXXXX",
  (g) => `sk_test_${g.str(ALNUM, 24)}`,
  (g) => `STRIPE_PUBLISHABLE_KEY=pk_${g.of(["live", "test"])}_${g.str(ALNUM, 32)}`,
  (g) => `Order No. ${g.n(2, 9)}${g.str(DIG, 2)}-${g.n(2, 9)}${g.str(DIG, 2)}-${g.str(DIG, 4)}`,
  (g) => `ISBN 978-${g.n(0, 1)}-${g.str(DIG, 3)}-${g.str(DIG, 5)}-${g.n(0, 9)}`,
  (g) => `${g.n(300, 999)}.${g.n(0, 255)}.${g.n(0, 255)}.${g.n(0, 255)}`,
  (g) => `${g.str(DIG, 4)} ${g.str(DIG, 4)}\n${g.str(DIG, 4)} ${g.str(DIG, 4)} units`,
];

const SENTENCES = [
  "Hello, the number on file is {} and nothing else.",
  "Quick note: {} was in the attachment.",
  "I typed {} into the form twice.",
  "From the chat log -> {} <- end of quote",
];

function fullWidth(s: string): string {
  return s.replace(/[0-9A-Za-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
}

/** Applies `ob` to a value; line breaks and format characters go strictly inside it. */
function obfuscate(g: Xorshift, value: string, ob: Obfuscation): string {
  const at = g.n(1, value.length - 1);
  switch (ob) {
    case "none":
      return value;
    case "format":
      return value.slice(0, at) + g.of(FORMAT_CHARS) + value.slice(at);
    case "linebreak":
      return `${value.slice(0, at)}\n${value.slice(at)}`;
    case "fullwidth":
      return fullWidth(value);
    case "nbsp":
      return value.includes(" ")
        ? value.replaceAll(" ", "\u00a0")
        : `${value.slice(0, at)}\u200b${value.slice(at)}`;
  }
}

/**
 * `perKind` true values per detector and obfuscation, and as many look-alikes per obfuscation.
 * @example obfuscatedSet(3, 20).filter((l) => l.truth)
 */
export function obfuscatedSet(seed: number, perKind: number): EvalLine[] {
  const g = new Xorshift(seed);
  const lines: EvalLine[] = [];
  for (const obfuscation of OBFUSCATIONS) {
    for (const [detector, make] of Object.entries(TRUE_VALUES)) {
      for (let i = 0; i < perKind; i += 1) {
        const value = obfuscate(g, make(g), obfuscation);
        const [head, tail] = g.of(SENTENCES).split("{}") as [string, string];
        lines.push({
          text: head + value + tail,
          obfuscation,
          truth: { detector, start: head.length, end: head.length + value.length },
        });
      }
    }
    for (let i = 0; i < perKind * 4; i += 1) {
      const value = obfuscate(g, g.of(LOOK_ALIKES)(g), obfuscation);
      lines.push({ text: g.of(SENTENCES).replace("{}", () => value), obfuscation });
    }
  }
  return lines;
}

export interface EvalScore {
  obfuscation: Obfuscation | "all";
  positives: number;
  strictRecall: number;
  overlapRecall: number;
  /** Detections that match no true value (same detector, overlapping) count against it. */
  precision: number;
}

/** Recall (strict: the exact span; overlap: any overlap) and precision of `scan`, per obfuscation and overall. */
export function scoreObfuscated(
  scan: (text: string) => Array<{ detector: string; start: number; end: number }>,
  lines: readonly EvalLine[],
): EvalScore[] {
  const score = (subset: readonly EvalLine[], obfuscation: EvalScore["obfuscation"]): EvalScore => {
    let positives = 0;
    let strict = 0;
    let overlap = 0;
    let hits = 0;
    let right = 0;
    for (const line of subset) {
      const found = scan(line.text);
      hits += found.length;
      const t = line.truth;
      if (t) positives += 1;
      const match = (h: { detector: string; start: number; end: number }) =>
        t !== undefined && h.detector === t.detector && h.start < t.end && t.start < h.end;
      right += found.filter(match).length;
      if (t && found.some((h) => match(h))) overlap += 1;
      if (t && found.some((h) => h.detector === t.detector && h.start === t.start && h.end === t.end))
        strict += 1;
    }
    return {
      obfuscation,
      positives,
      strictRecall: strict / positives,
      overlapRecall: overlap / positives,
      precision: hits === 0 ? 1 : right / hits,
    };
  };
  return [
    ...OBFUSCATIONS.map((o) =>
      score(
        lines.filter((l) => l.obfuscation === o),
        o,
      ),
    ),
    score(lines, "all"),
  ];
}
