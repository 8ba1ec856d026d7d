import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AuditEntry, bodyOf, canonicalBody, chainEntry, GENESIS_HASH } from "../../src/audit/entry.ts";
import { verifyChain } from "../../src/audit/verify.ts";
import { canonicalJson } from "../../src/core/digest.ts";

function buildChain(length: number): AuditEntry[] {
  const entries: AuditEntry[] = [];
  let seq = 0;
  let hash = GENESIS_HASH;
  for (let i = 0; i < length; i++) {
    const entry = chainEntry(seq, hash, {
      workspace: i % 4 === 0 ? null : "ws_p",
      actor: `usr_${i % 5}`,
      action: i % 2 ? "run.start" : "dataset.approve",
      resource: `Run::"run_${i}"`,
      decision: i % 3 ? "allow" : "deny",
      rules: i % 3 ? ["engineer.runs"] : ["default-deny"],
      reason: i % 3 ? null : "nothing permits it",
      payload: { i },
      time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
    });
    entries.push(entry);
    seq = entry.seq;
    hash = entry.hash;
  }
  return entries;
}

const CHAIN = buildChain(40);
const HEAD = { seq: CHAIN.at(-1)!.seq, hash: CHAIN.at(-1)!.hash };
const FIELDS = [
  "time",
  "workspace",
  "actor",
  "action",
  "resource",
  "decision",
  "rules",
  "reason",
  "payloadDigest",
  "seq",
  "prevHash",
  "hash",
] as const;

type Tamper =
  | { kind: "modify"; at: number; field: (typeof FIELDS)[number]; salt: string }
  | { kind: "delete"; at: number; count: number }
  | { kind: "insert"; at: number; copyOf: number; salt: string }
  | { kind: "swap"; a: number; b: number };

const n = CHAIN.length;
const tamper: fc.Arbitrary<Tamper> = fc.oneof(
  fc.record({
    kind: fc.constant("modify" as const),
    at: fc.nat(n - 1),
    field: fc.constantFrom(...FIELDS),
    salt: fc.string({ minLength: 1, maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant("delete" as const),
    at: fc.nat(n - 1),
    count: fc.integer({ min: 1, max: 5 }),
  }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(n),
    copyOf: fc.nat(n - 1),
    salt: fc.string({ maxLength: 4 }),
  }),
  fc
    .record({ kind: fc.constant("swap" as const), a: fc.nat(n - 1), b: fc.nat(n - 1) })
    .filter((t) => t.a !== t.b),
);

function mutateField(entry: AuditEntry, field: (typeof FIELDS)[number], salt: string): AuditEntry {
  const copy: AuditEntry = { ...entry, rules: [...entry.rules] };
  switch (field) {
    case "seq":
      copy.seq = entry.seq + 1 + salt.length;
      break;
    case "rules":
      copy.rules = [...entry.rules, salt];
      break;
    case "decision":
      copy.decision = entry.decision === "allow" ? "deny" : "allow";
      break;
    case "workspace":
    case "reason":
    case "payloadDigest":
      copy[field] = entry[field] === null ? salt : null;
      break;
    default:
      copy[field] = `${entry[field]}${salt}`;
  }
  return copy;
}

/** Applies one tampering; indices wrap around the (possibly already shortened) chain. */
function apply(chain: readonly AuditEntry[], tamper: Tamper): AuditEntry[] {
  const out = [...chain];
  const len = out.length;
  const t: Tamper =
    tamper.kind === "swap"
      ? { ...tamper, a: tamper.a % len, b: tamper.b % len }
      : tamper.kind === "insert"
        ? { ...tamper, at: tamper.at % (len + 1), copyOf: tamper.copyOf % len }
        : { ...tamper, at: tamper.at % len };
  switch (t.kind) {
    case "modify":
      out[t.at] = mutateField(out[t.at]!, t.field, t.salt);
      break;
    case "delete":
      out.splice(t.at, t.count);
      break;
    case "insert": {
      // the forger even recomputes a valid-looking entry on top of its predecessor
      const prev = out[t.at - 1];
      const forged = chainEntry(prev?.seq ?? 0, prev?.hash ?? GENESIS_HASH, {
        ...out[t.copyOf]!,
        rules: [...out[t.copyOf]!.rules],
        reason: `forged${t.salt}`,
        time: new Date(Date.parse(out[t.copyOf]!.time) || 0),
      });
      out.splice(t.at, 0, forged);
      break;
    }
    case "swap":
      [out[t.a], out[t.b]] = [out[t.b]!, out[t.a]!];
      break;
  }
  return out;
}

describe("audit chain verification (property)", () => {
  it("accepts the untouched chain", () => {
    expect(verifyChain(CHAIN, { head: HEAD })).toEqual({ ok: true, count: n, head: HEAD });
  });

  it("detects every random modification, deletion, insertion and reordering", () => {
    fc.assert(
      fc.property(fc.array(tamper, { minLength: 1, maxLength: 3 }), (tampers) => {
        const tampered = tampers.reduce(apply, CHAIN);
        fc.pre(JSON.stringify(tampered) !== JSON.stringify(CHAIN));
        const verdict = verifyChain(tampered, { head: HEAD });
        expect(verdict.ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it("names the first tampered entry's seq for a single modification", () => {
    fc.assert(
      fc.property(
        fc.nat(n - 1),
        fc.constantFrom(...FIELDS),
        fc.string({ minLength: 1, maxLength: 3 }),
        (at, field, salt) => {
          const verdict = verifyChain(apply(CHAIN, { kind: "modify", at, field, salt }), { head: HEAD });
          expect(verdict).toMatchObject({ ok: false, seq: at + 1 });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("canonical audit body", () => {
  it("is byte-for-byte canonicalJson of the hashed fields, for any strings", () => {
    const text = fc.string({ unit: "grapheme", maxLength: 12 });
    const nullable = fc.option(text, { nil: null });
    fc.assert(
      fc.property(
        fc.record({
          seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
          time: text,
          workspace: nullable,
          actor: text,
          action: text,
          resource: text,
          decision: fc.constantFrom("allow" as const, "deny" as const),
          rules: fc.array(text, { maxLength: 4 }),
          reason: nullable,
          payloadDigest: nullable,
        }),
        (body) => {
          expect(canonicalBody(body)).toBe(canonicalJson(bodyOf(body)));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
