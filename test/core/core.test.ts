import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, digestOf } from "../../src/core/digest.ts";
import { CrucibleError, exitCode, httpStatus } from "../../src/core/errors.ts";
import { newId } from "../../src/core/ids.ts";
import { jsonPath } from "../../src/core/json-path.ts";

describe("canonicalJson", () => {
  it("gives the same bytes for objects whose keys were inserted in any order", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (dict) => {
        const reversed = Object.fromEntries(Object.entries(dict).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(dict));
      }),
    );
  });

  it("round-trips every JSON value through JSON.parse", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it("digests differ when any member differs", () => {
    expect(digestOf({ a: 1, b: [1, 2] })).toBe(digestOf({ b: [1, 2], a: 1 }));
    expect(digestOf({ a: 1, b: [1, 2] })).not.toBe(digestOf({ a: 1, b: [2, 1] }));
    expect(digestOf({ a: 1 })).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("refuses values JSON cannot carry", () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(/non-finite/);
  });
});

describe("jsonPath", () => {
  it("writes pointers as the paths people read", () => {
    expect(jsonPath("")).toBe("$");
    expect(jsonPath("/samples/0/messages/2/role")).toBe("$.samples[0].messages[2].role");
    expect(jsonPath("/tokens_by_source/acme-handbook")).toBe('$.tokens_by_source["acme-handbook"]');
    expect(jsonPath("/a~1b/c~0d")).toBe('$["a/b"]["c~d"]');
  });
});

describe("errors", () => {
  it("name the field, the value, the rule and the fix in their message", () => {
    const err = new CrucibleError("permission_denied", "denied", {
      field: "dataset",
      value: "acme@v1",
      rule: "sod-dataset",
      fix: "Ask a data steward",
    });
    expect(err.message).toBe('dataset: denied (got "acme@v1") [rule: sod-dataset]. Ask a data steward');
    expect(err.problem).toBe("denied");
  });

  it("map every code to an HTTP status and a CLI exit code", () => {
    expect([httpStatus("invalid_argument"), exitCode("invalid_argument")]).toEqual([400, 2]);
    expect([httpStatus("permission_denied"), exitCode("permission_denied")]).toEqual([403, 3]);
    expect([httpStatus("unauthenticated"), exitCode("unauthenticated")]).toEqual([401, 3]);
    expect([httpStatus("internal"), exitCode("internal")]).toEqual([500, 1]);
  });
});

describe("newId", () => {
  it("is unique and sorts by creation time", async () => {
    const a = newId("run");
    await new Promise((r) => setTimeout(r, 2));
    const b = newId("run");
    expect(a).toMatch(/^run_[0-9a-z]{25}$/);
    expect(a < b).toBe(true);
    expect(new Set(Array.from({ length: 1000 }, () => newId("x"))).size).toBe(1000);
  });
});
