import type { DigitRun } from "./checks/numbers.ts";
import type { GateSpec } from "./gate.ts";

/**
 * What one detector module declares (see `detectors/`, listed in `detectors.ts`). Adding a
 * detector is one module built with `defineDetector` plus its line in the registry: the scanner
 * builds its combined pattern, its literal searches, its placeholders and masks from these.
 */
export type DetectorKind = "pii" | "secret";

/** A detection inside the scanned string, before the scanner stamps the detector's id on it. */
export interface Span {
  start: number;
  end: number;
  /** Overrides the detector's declared confidence for this one detection. */
  confidence?: number;
}

/**
 * A branch of the scanner's one combined, sticky regex (`pattern.ts`). `source` must start with
 * one of the characters in `starts` (ASCII); `before`, `notBefore` and `next` are necessary
 * conditions around that character, read off the regex (`gate.ts`), checked in table lookups
 * before the regex is entered, so most positions never reach it. `find` validates the match at
 * `at` and says where the walk goes on.
 */
export interface BranchFinder {
  branch: GateSpec & { source: string };
  find(text: string, at: number, match: string): BranchResult;
}

/** A hit (or none), and where the walk resumes (default: after the hit, or at `at + 1`). */
export interface BranchResult {
  hit?: Span | undefined;
  resumeAt?: number;
}

/** What `find` returns for nothing found: one shared object, so misses allocate nothing. */
export const MISS: BranchResult = Object.freeze({});

/** A literal found with native `indexOf` (`@`, `-----BEGIN`); `find` expands it around `at`. */
export interface AnchorFinder {
  anchor: string;
  find(text: string, at: number): Span | undefined;
}

/**
 * A number written in digit groups (`(202) 555-0143`, `4111 1111 1111 1111`), found by the
 * shared number branch (`digit-runs.ts`: 8–19 digits, or a dotted quad). Digit detectors are
 * tried in registry order and must not accept the same run.
 */
export interface DigitsFinder {
  /** True (or a confidence) when the run is this detector's value. */
  digits(run: DigitRun): boolean | number;
  /**
   * Whether the text around the number `[start, end)` lets it count. Default: not right after a
   * word that labels an identifier (`Invoice No. 415-867-5309`, `SKU 4006381333931`).
   */
  inContext?(text: string, start: number, end: number): boolean;
}

/**
 * A value after a key-ish identifier and `:` or `=` (`aws_secret_access_key = …`), found by the
 * shared key = value branch (`key-value.ts`), which trims the value. Key-value detectors are
 * tried in registry order; the first that accepts takes the value.
 */
export interface KeyValueFinder {
  /** True (or a confidence) when the value is this detector's. */
  keyValue(key: string, value: string, context: KeyValueContext): boolean | number;
}

export interface KeyValueContext {
  /** The character after the untrimmed value (`(` after `token = session.get`). */
  next: string;
  /** Whether trailing punctuation was trimmed off the value. */
  trimmed: boolean;
}

export type Finder = BranchFinder | AnchorFinder | DigitsFinder | KeyValueFinder;

export interface DetectorSpec<Id extends string = string, Kind extends DetectorKind = DetectorKind> {
  id: Id;
  kind: Kind;
  /** What redaction writes in place of a finding; it must contain nothing any detector matches. */
  placeholder: string;
  /** How sure a detection is (0..1) unless `find` says otherwise. */
  confidence: number;
  /** How candidates are found and validated. */
  finder: Finder;
  /** A preview that never contains the raw value (`4111 **** **** 1111`). */
  mask(raw: string): string;
  /**
   * Whether a value found whole on one side of a line break stays apart from `piece`, what a
   * reading across the break would add from the other side (`tail`: after the break; `head`:
   * before it). Default no: a broken value is redacted whole. E-mails keep apart from a
   * capitalised word (`Jane Doe` / `jane@acme.io`, `jane@acme.io` / `Thanks`).
   */
  keepsApart?(piece: string, side: "head" | "tail"): boolean;
}

/**
 * Declares a detector; the literal id and kind types flow into `DetectorId`.
 * @example export const email = defineDetector({ id: "email", kind: "pii", placeholder: "[EMAIL]", … });
 */
export function defineDetector<const Id extends string, const Kind extends DetectorKind>(
  spec: DetectorSpec<Id, Kind>,
): DetectorSpec<Id, Kind> {
  return spec;
}

export const isBranch = (f: Finder): f is BranchFinder => "branch" in f;
export const isAnchor = (f: Finder): f is AnchorFinder => "anchor" in f;
export const isDigits = (f: Finder): f is DigitsFinder => "digits" in f;
export const isKeyValue = (f: Finder): f is KeyValueFinder => "keyValue" in f;
