import { ALL_DETECTORS, type DetectorId } from "../../../src/data/scan/detectors.ts";
import { LOOKALIKE_MAKERS } from "./labelled-lookalikes.ts";
import { POSITIVE_MAKERS } from "./labelled-values.ts";
import { HEX, SeededRandom } from "./random.ts";

/** Where a true value sits in an example's text. */
export interface Label {
  detector: DetectorId;
  start: number;
  end: number;
}

/** A sentence or snippet with its true labels; a negative example has none. */
export interface LabelledExample {
  text: string;
  labels: Label[];
}

export interface LabelledSetOptions {
  /** Same seed, same set. Default 1. */
  seed?: number;
  /** Positive examples per detector. Default 200. */
  perDetector?: number;
  /** Examples holding only look-alikes. Default 1000. */
  negatives?: number;
  /** Canary strings to plant; by default three generated ones. */
  canaries?: readonly string[];
}

const PROSE = [
  "Hi team, you can reach me at {} if the deploy fails.",
  "Customer record updated: {} (verified by phone).",
  "Please send the refund using {} before Friday.",
  'From the ticket: "my details are {}, thanks"',
  "Notes - spoke with the client, confirmed {}; follow up next week.",
  "| contact | {} | active |",
  "{} was in the export we received yesterday.",
  "Can you double-check {}? The form rejected it.",
];

const CODE = [
  "Here is my config:\n{}\nwhy does the upload fail?",
  "I pasted this into the script: {} - is that a problem?",
  "```\n{}\n```",
  "env dump follows\n{}\nend of dump",
  "The CI log printed {} right before the crash.",
  "settings.yml contains {} on line 12.",
];

/**
 * A deterministic labelled evaluation set: realistic positives for every detector, embedded in
 * prose or code-like snippets (and often next to a look-alike), plus look-alike-only negatives
 * (UUIDs, hex digests, version strings, order and tracking numbers, ISBNs, dates, numbers failing
 * Luhn or mod-97, fictional 555-01XX numbers, placeholders).
 * @example const set = generateLabelledSet({ seed: 7, perDetector: 50 });
 */
export function generateLabelledSet(options: LabelledSetOptions = {}): LabelledExample[] {
  const r = new SeededRandom(options.seed ?? 1);
  const canaries = options.canaries ?? defaultCanaries(options.seed ?? 1);
  const perDetector = options.perDetector ?? 200;
  const examples: LabelledExample[] = [];
  for (const detector of ALL_DETECTORS) {
    for (let i = 0; i < perDetector; i += 1) {
      const made = detector === "canary" ? { value: r.pick(canaries) } : POSITIVE_MAKERS[detector](r);
      const quote = /["']$/.exec(made.before ?? "")?.[0] ?? "";
      const slot = `${made.before ?? ""}${made.value}${made.after ?? quote}`;
      const template = r.pick(made.before || detector === "private_key" || detector === "jwt" ? CODE : PROSE);
      let text = template.replace("{}", () => slot);
      const start = text.indexOf(slot) + (made.before ?? "").length;
      if (r.next() < 0.5) text += ` Also ${r.pick(LOOKALIKE_MAKERS)(r)}.`;
      examples.push({ text, labels: [{ detector, start, end: start + made.value.length }] });
    }
  }
  for (let i = 0; i < (options.negatives ?? 1000); i += 1) {
    const phrase = r.pick(LOOKALIKE_MAKERS)(r);
    examples.push({ text: r.pick([...PROSE, ...CODE]).replace("{}", () => phrase), labels: [] });
  }
  return examples;
}

/**
 * Canary strings like those a workspace plants: a marker word and random hex.
 * @example defaultCanaries(1) // ["crucible-canary-…", …] (three, the same for the same seed)
 */
export function defaultCanaries(seed: number): string[] {
  const r = new SeededRandom(seed ^ 0x5eed);
  return Array.from({ length: 3 }, () => `crucible-canary-${r.chars(HEX, 12)}`);
}
