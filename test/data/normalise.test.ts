import { describe, expect, it } from "vitest";
import { redactRecord } from "../../src/data/redact.ts";
import { bridgeableBreaks } from "../../src/data/scan/breaks.ts";
import { type DetectorId, placeholder } from "../../src/data/scan/detectors.ts";
import { Scanner } from "../../src/data/scan/scanner.ts";
import { normalisedView, originalSpan } from "../../src/data/scan/view.ts";

const scanner = new Scanner();
const found = (text: string) => scanner.scanText(text).map((h) => [h.detector, text.slice(h.start, h.end)]);

describe("normalised view", () => {
  it("is the original string itself when nothing changes (ASCII, or letters NFKC keeps)", () => {
    for (const text of ["plain ascii 4111", "café — naïve 中文"]) {
      const view = normalisedView(text);
      expect(view.text).toBe(text);
      expect(view.from).toBeUndefined();
    }
  });

  it("drops format characters, applies NFKC and maps every view unit back", () => {
    const text = "a\u200b４\u00ad２ﬁ😀x";
    const view = normalisedView(text);
    expect(view.text).toBe("a42fi😀x");
    expect(originalSpan(view, 1, 3)).toEqual([2, 5]); // "４\u00ad２": the soft hyphen inside is covered
    expect(originalSpan(view, 3, 4)).toEqual([5, 6]); // "f" of the ligature stands for all of it
    expect(originalSpan(view, 5, 7)).toEqual([6, 8]); // the emoji's surrogate pair, kept whole
  });
});

describe("values across format characters, compatibility forms and line breaks", () => {
  it("finds a card written in full-width digits, reporting the original span", () => {
    const text = "card ４１１１ １１１１ １１１１ １１１１ thanks";
    expect(found(text)).toEqual([["payment_card", "４１１１ １１１１ １１１１ １１１１"]]);
  });

  it("covers the whole value, zero-width characters and breaks included, and redaction removes all of it", () => {
    const cases: Array<[string, DetectorId, string]> = [
      ["ssn 536-2\u200b2-8512 ok", "us_ssn", "536-2\u200b2-8512"],
      ["key AKIAIOSF\u2060ODNN7EXA3PLE ok", "aws_access_key_id", "AKIAIOSF\u2060ODNN7EXA3PLE"],
      ["pay 4111 1111 11\n11 1111 ok", "payment_card", "4111 1111 11\n11 1111"],
      ["pay 4111 \n1111 1111 1111 ok", "payment_card", "4111 \n1111 1111 1111"],
      ["mail chen93@uni.\nedu ok", "email", "chen93@uni.\nedu"],
      [
        "key sk_live_4eC39HqLyjWD\r\narjtT1zdp7dc. thanks",
        "stripe_key",
        "sk_live_4eC39HqLyjWD\r\narjtT1zdp7dc",
      ],
      ["mail jane.doe@gm\nail.com please", "email", "jane.doe@gm\nail.com"],
    ];
    for (const [text, detector, value] of cases) {
      expect(found(text), text).toEqual([[detector, value]]);
      const redacted = redactRecord({ text }, scanner.scanRecord({ text }, 0));
      expect(redacted).toEqual({ text: text.replace(value, placeholder(detector)) });
    }
  });

  it("shows the value without its obfuscation in the masked preview", () => {
    const [finding] = scanner.scanRecord({ text: "pay 4111 11\u200b11 1111 1111" }, 0);
    expect(finding?.preview).toBe("4111 **** **** 1111");
  });
});

describe("line breaks that end a value (look-alikes)", () => {
  it("does not join a column of numbers into one", () => {
    // 41111111 / 11111111 would be a valid Visa number if joined.
    expect(found("codes:\n41111111\n11111111\n")).toEqual([]);
    expect(bridgeableBreaks("41111111\n11111111")).toEqual([]);
  });

  it("does not join two numbers whose joined reading fails its validator", () => {
    expect(found("call 415-867-5309\n2024 was a good year")).toEqual([["phone", "415-867-5309"]]);
    expect(found("cards 4111 1111 1111 1111\n5555 5555 5555 4444 end")).toEqual([
      ["payment_card", "4111 1111 1111 1111"],
      ["payment_card", "5555 5555 5555 4444"],
    ]);
  });

  it("ends a value where the next line starts with a key", () => {
    expect(found("STRIPE=sk_live_4eC39HqLyjWDarjtT1zdp7dc\nPORT=3000")).toEqual([
      ["stripe_key", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"],
    ]);
    expect(found("DB_PASSWORD=s3cr3tV4lueXy\nDB_HOST=localhost")).toEqual([
      ["generic_secret", "s3cr3tV4lueXy"],
    ]);
    expect(found("jane@acme.io\nPhone: 415 867 5309")).toEqual([
      ["email", "jane@acme.io"],
      ["phone", "415 867 5309"],
    ]);
  });

  it("does not join two values found on adjacent lines", () => {
    expect(found("list:\njane@acme.io\nbob@x-corp.com\n")).toEqual([
      ["email", "jane@acme.io"],
      ["email", "bob@x-corp.com"],
    ]);
  });

  it("keeps a complete e-mail address apart from a capitalised word on the line above or below", () => {
    expect(found("Jane Doe\njane@acme.io\nThanks")).toEqual([["email", "jane@acme.io"]]);
    expect(found("mail jane@acme.co\nm today")).toEqual([["email", "jane@acme.co\nm"]]);
    expect(found("mail jane@mail.acme.co\n.uk today")).toEqual([["email", "jane@mail.acme.co\n.uk"]]);
  });

  it("does not bridge paragraph breaks or prose", () => {
    expect(bridgeableBreaks("one line\n\nnext 4111")).toEqual([]);
    expect(bridgeableBreaks("the end.\nThe next line")).toEqual([]);
  });
});
