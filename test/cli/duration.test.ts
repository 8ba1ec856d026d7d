import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDuration, parsePositiveDuration } from "../../src/cli/duration.ts";
import { CrucibleError } from "../../src/core/errors.ts";

describe("durations on the command line", () => {
  it("reads a whole number with an optional unit s, m, h or d as seconds", () => {
    expect(parseDuration("--ttl", "90m")).toBe(5400);
    expect(parseDuration("--ttl", "30d")).toBe(30 * 86400);
    expect(parseDuration("--stale", "0s")).toBe(0);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e6 }),
        fc.constantFrom<[string, number]>(["s", 1], ["m", 60], ["h", 3600], ["d", 86400]),
        (n, [unit, factor]) => parseDuration("--ttl", `${n}${unit}`) === n * factor,
      ),
    );
  });

  it("refuses a zero lifetime naming the flag, the value and a positive example, not a service's field name", () => {
    const err = (() => {
      try {
        parsePositiveDuration("--ttl", "0s");
      } catch (e) {
        return e;
      }
    })() as CrucibleError;
    expect(err).toBeInstanceOf(CrucibleError);
    expect(err.details).toMatchObject({ field: "--ttl", value: "0s" });
    expect(err.describe()).toContain("must be longer than 0 seconds");
    expect(err.describe()).not.toContain("lifetimeS");
    expect(parsePositiveDuration("--ttl", "1s")).toBe(1);
  });

  it("refuses what is not a duration, naming the units", () => {
    for (const text of ["", "1.5h", "-1d", "10 years", "h"])
      expect(() => parseDuration("--ttl", text)).toThrow(/not a duration/);
  });
});
