import { CrucibleError, invalid } from "../core/errors.ts";
import type { DataRecord, SourcedRecord } from "./records.ts";
import { type DetectorId, placeholder } from "./scan/detectors.ts";
import type { Finding } from "./scan/findings.ts";
import type { Scanner } from "./scan/scanner.ts";

/** What redaction needs of a finding: where it is and what it was. */
export type RedactionSpan = Pick<Finding, "field" | "span" | "detector">;

/**
 * Replaces each span of a string with its detector's typed placeholder. Overlapping spans are
 * merged and take the placeholder of the one that starts first.
 * @example redactText("mail jane@acme.io now", [{ span: [5, 17], detector: "email" }]) // "mail [EMAIL] now"
 */
export function redactText(text: string, spans: ReadonlyArray<Pick<Finding, "span" | "detector">>): string {
  const sorted = [...spans].sort((a, b) => a.span[0] - b.span[0] || b.span[1] - a.span[1]);
  let out = "";
  let at = 0;
  for (const { span, detector } of sorted) {
    const [start, end] = span;
    if (start < 0 || end > text.length || start >= end) {
      throw invalid(
        "span",
        "finding span is outside its field",
        span,
        "Redact with the findings of this very record",
      );
    }
    if (end <= at) continue;
    if (start >= at) out += text.slice(at, start) + placeholder(detector);
    at = end;
  }
  return out + text.slice(at);
}

/**
 * A copy of the record with every finding's span replaced by a placeholder such as `[EMAIL]`
 * or `[SECRET:aws_access_key_id]`. Only `findings` of this record should be passed.
 * @example redactRecord({ text: "key AKIAIOSFODNN7EXAMPLE" }, scanner.scanRecord(r, 0)) // { text: "key [SECRET:aws_access_key_id]" }
 */
export function redactRecord(record: DataRecord, findings: readonly RedactionSpan[]): DataRecord {
  const byField = new Map<string, RedactionSpan[]>();
  for (const f of findings) byField.set(f.field, [...(byField.get(f.field) ?? []), f]);
  const known = "text" in record ? ["text"] : record.messages.map((_, i) => `messages[${i}].content`);
  for (const field of byField.keys()) {
    if (!known.includes(field))
      throw invalid(
        "field",
        "finding names a field the record does not have",
        field,
        `Use one of ${known.join(", ")}`,
      );
  }
  if ("text" in record) return { text: redactText(record.text, byField.get("text") ?? []) };
  return {
    messages: record.messages.map((m, i) => ({
      role: m.role,
      content: redactText(m.content, byField.get(`messages[${i}].content`) ?? []),
    })),
  };
}

/** Passes `redactClean` makes at most; each pass can only shrink what is left to find. */
const MAX_PASSES = 4;

/**
 * Scans and redacts a record until a scan finds nothing (at most a few passes). One pass is
 * almost always enough; a second catches values that were fused with a neighbour before it was
 * replaced (an e-mail glued to a canary, say). `findings` are those of the first pass, in the
 * original record's coordinates; `passes` says how many were needed.
 * @example redactClean({ text: "mail jane@acme.io" }, 0, new Scanner()).record // { text: "mail [EMAIL]" }
 */
export function redactClean(
  record: DataRecord,
  index: number,
  scanner: Scanner,
  only?: ReadonlySet<DetectorId>,
): { record: DataRecord; findings: Finding[]; passes: number } {
  const scan = (r: DataRecord) => scanner.scanRecord(r, index).filter((f) => !only || only.has(f.detector));
  const findings = scan(record);
  let current = record;
  let pending = findings;
  let passes = 0;
  while (pending.length > 0) {
    if (passes === MAX_PASSES) {
      throw new CrucibleError(
        "internal",
        `record ${index} still has findings after ${MAX_PASSES} redaction passes`,
        {
          fix: "Report this record's shape (not its content) as a scanner bug",
        },
      );
    }
    current = redactRecord(current, pending);
    passes += 1;
    pending = scan(current);
  }
  return { record: current, findings, passes };
}

export interface RedactOptions {
  /** Only these detectors are redacted; default all. */
  detectors?: readonly DetectorId[];
}

/**
 * Scans and redacts a record stream one record at a time (memory stays flat), yielding each
 * redacted record with the findings that were removed from it.
 * @example for await (const r of redactStream(openDataset("a.jsonl"), new Scanner())) write(r.record);
 */
export async function* redactStream(
  records: AsyncIterable<SourcedRecord>,
  scanner: Scanner,
  options: RedactOptions = {},
): AsyncGenerator<SourcedRecord & { findings: Finding[] }> {
  const only = options.detectors ? new Set(options.detectors) : undefined;
  for await (const source of records) {
    const findings = scanner
      .scanRecord(source.record, source.index)
      .filter((f) => !only || only.has(f.detector));
    yield {
      ...source,
      record: findings.length > 0 ? redactRecord(source.record, findings) : source.record,
      findings,
    };
  }
}
