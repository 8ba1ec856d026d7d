import { describe, expectTypeOf, it } from "vitest";
import type { DataRecord } from "../../src/data/records.ts";
import type { DetectorId, PiiDetectorId, SecretDetectorId } from "../../src/data/scan/detectors.ts";
import type { Finding } from "../../src/data/scan/findings.ts";

describe("public types", () => {
  it("detector ids are a closed literal union", () => {
    expectTypeOf<"email">().toMatchTypeOf<DetectorId>();
    expectTypeOf<"aws_access_key_id">().toMatchTypeOf<SecretDetectorId>();
    expectTypeOf<DetectorId>().toEqualTypeOf<PiiDetectorId | SecretDetectorId | "canary">();
    // @ts-expect-error a typo is not a detector id
    const typo: DetectorId = "e-mail";
    void typo;
  });

  it("findings carry a span and a preview, never a raw value field", () => {
    expectTypeOf<Finding["span"]>().toEqualTypeOf<[number, number]>();
    expectTypeOf<keyof Finding>().toEqualTypeOf<
      "record" | "field" | "span" | "detector" | "confidence" | "preview"
    >();
  });

  it("a record is text or messages with known roles", () => {
    expectTypeOf<{ text: string }>().toMatchTypeOf<DataRecord>();
    // @ts-expect-error roles are a closed set
    const bad: DataRecord = { messages: [{ role: "admin", content: "x" }] };
    void bad;
  });
});
