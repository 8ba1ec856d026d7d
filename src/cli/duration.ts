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
