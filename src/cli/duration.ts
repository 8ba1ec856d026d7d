import { invalid } from "../core/errors.ts";

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Seconds in a duration written as people write them on a command line.
 * @example parseDuration("--ttl", "12h") // 43200
 */
export function parseDuration(field: string, text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match)
    throw invalid(
      field,
      "is not a duration",
      text,
      "Write a whole number with an optional unit s, m, h or d, e.g. 90m or 30d",
    );
  const seconds = Number(match[1]) * (UNITS[match[2] || "s"] ?? 1);
  if (!Number.isSafeInteger(seconds)) throw invalid(field, "is too long", text, "Use a shorter duration");
  return seconds;
}

/**
 * A duration that must be longer than zero (a lifetime), in whole seconds; `0s` is named as such
 * rather than left to a service that knows the value by another name.
 * @example parsePositiveDuration("--ttl", "0s") // throws: --ttl must be longer than 0 seconds
 */
export function parsePositiveDuration(field: string, text: string): number {
  const seconds = parseDuration(field, text);
  if (seconds <= 0)
    throw invalid(field, "must be longer than 0 seconds", text, "Give a positive duration, e.g. 12h or 30d");
  return seconds;
}
