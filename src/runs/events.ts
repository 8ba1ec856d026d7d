/**
 * A run's trainer events and log lines, in order. Writers append a batch in one statement (the
 * train_stage handler calls them inside `fenced()`, so a worker that lost its lease writes
 * nothing); `seq` continues per run across stages. Readers page by `afterSeq` for `run show`,
 * `run logs -f` and the SSE stream.
 */
import type { TrainerEvent } from "../protocol/types/events.gen.ts";
import type { Queryable } from "../store/db.ts";

/**
 * Appends events to the run, numbered after its last one, in one multi-row INSERT.
 * @example await fenced(db, lease, (tx) => appendRunEvents(tx, runId, 0, batch));
 */
export async function appendRunEvents(
  q: Queryable,
  runId: string,
  stageIdx: number,
  events: readonly TrainerEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await q.query(
    `INSERT INTO run_events (run_id, seq, stage_idx, type, body)
     SELECT $1, last.seq + e.ord, $2, e.body->>'type', e.body
     FROM (SELECT COALESCE(max(seq), 0) AS seq FROM run_events WHERE run_id = $1) AS last,
       jsonb_array_elements($3::jsonb) WITH ORDINALITY AS e(body, ord)`,
    [runId, stageIdx, storableJson(events)],
  );
}

/**
 * Appends log lines (the trainer's stderr) to the run, numbered after its last one.
 * @example await fenced(db, lease, (tx) => appendRunLogs(tx, runId, 0, ["loading model"]));
 */
export async function appendRunLogs(
  q: Queryable,
  runId: string,
  stageIdx: number,
  lines: readonly string[],
): Promise<void> {
  if (lines.length === 0) return;
  await q.query(
    `INSERT INTO run_logs (run_id, seq, stage_idx, line)
     SELECT $1, last.seq + e.ord, $2, e.line
     FROM (SELECT COALESCE(max(seq), 0) AS seq FROM run_logs WHERE run_id = $1) AS last,
       jsonb_array_elements_text($3::jsonb) WITH ORDINALITY AS e(line, ord)`,
    [runId, stageIdx, storableJson(lines)],
  );
}

export interface PageOptions {
  /** Only entries with a greater seq (default 0: from the start). */
  afterSeq?: number;
  /** At most this many (default 1000). */
  limit?: number;
}

/**
 * A run's events in order, after `afterSeq`.
 * @example const page = await readRunEvents(db, runId, { afterSeq: last, limit: 100 });
 */
export async function readRunEvents(
  q: Queryable,
  runId: string,
  options: PageOptions = {},
): Promise<{ seq: number; stageIdx: number; event: TrainerEvent; at: string }[]> {
  const { rows } = await q.query<{ seq: number; stage_idx: number; body: TrainerEvent; created_at: Date }>(
    `SELECT seq, stage_idx, body, created_at FROM run_events
     WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    [runId, options.afterSeq ?? 0, options.limit ?? 1000],
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    stageIdx: r.stage_idx,
    event: r.body,
    at: iso(r.created_at),
  }));
}

/**
 * A run's log lines in order, after `afterSeq`.
 * @example for (const { line } of await readRunLogs(db, runId)) console.log(line);
 */
export async function readRunLogs(
  q: Queryable,
  runId: string,
  options: PageOptions = {},
): Promise<{ seq: number; stageIdx: number; line: string; at: string }[]> {
  const { rows } = await q.query<{ seq: number; stage_idx: number; line: string; created_at: Date }>(
    `SELECT seq, stage_idx, line, created_at FROM run_logs
     WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    [runId, options.afterSeq ?? 0, options.limit ?? 1000],
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    stageIdx: r.stage_idx,
    line: r.line,
    at: iso(r.created_at),
  }));
}

/** PostgreSQL text and jsonb cannot hold NUL; a trainer that prints one gets U+FFFD instead. */
function storableJson(value: unknown): string {
  const json = JSON.stringify(value);
  // A literal backslash-u0000 in the text is escaped as "\\u0000" and matches too: harmless.
  if (!json.includes("\\u0000")) return json;
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "string" ? v.replaceAll("\0", "\ufffd") : v,
  );
}

function iso(value: Date | string): string {
  return new Date(value).toISOString();
}
