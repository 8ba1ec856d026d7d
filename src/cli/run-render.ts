import type { TrainerEvent } from "../protocol/types/events.gen.ts";
import type { RunDetails } from "../runs/run-read.ts";
import type { RunRow, StageRow } from "../runs/run-rows.ts";
import { table } from "./io.ts";

const stagesText = (stages: StageRow[]) => stages.map((s) => `${s.stage}:${s.status}`).join(" -> ");

/** `run list` as a table. */
export function runsTable(runs: (RunRow & { stages: StageRow[] })[]): string {
  if (runs.length === 0) return "no runs";
  return table(
    ["NAME", "STATUS", "STAGES", "CREATED", "ID"],
    runs.map((r) => [r.name, r.status, stagesText(r.stages), r.createdAt, r.id]),
  );
}

/** `run show` for a person. */
export function runText(run: RunDetails): string {
  const lines = [
    `${run.name} (${run.id}): ${run.status}${run.failureReason ? ` — ${run.failureCode}: ${run.failureReason}` : ""}`,
    `  recipe ${run.recipeDigest}, started by ${run.startedBy} at ${run.createdAt}`,
    `  base ${run.base ? run.base.name : "?"}`,
  ];
  for (const s of run.stages) {
    const p = s.progress;
    const progress = p
      ? `  step ${p.step}/${p.total_steps}  loss ${p.loss.toFixed(3)}  ${Math.round(p.tokens_per_s)} tok/s`
      : "";
    lines.push(`  stage ${s.idx} ${s.stage}: ${s.status}${progress}`);
  }
  if (run.datasets.length) lines.push("  datasets:");
  for (const d of run.datasets) lines.push(`    ${d.ref}  ${d.tokens ?? "?"} tokens`);
  if (run.checkpoints.length) lines.push("  checkpoints:");
  for (const c of run.checkpoints)
    lines.push(
      `    ${c.name}${c.final ? " (final)" : ""}${c.pruned ? " (pruned)" : ""}  ${c.manifestDigest}`,
    );
  return lines.join("\n");
}

/** One line of the run log for a trainer event (progress has its bar instead). */
export function eventLine(event: TrainerEvent): string {
  switch (event.type) {
    case "started":
      return `started ${event.stage} at step ${event.step} of ${event.total_steps} on ${event.device}${event.resumed_from ? `, resumed from ${event.resumed_from}` : ""}`;
    case "checkpoint":
      return `checkpoint step ${event.step}${event.final ? " (final)" : ""} ${event.manifest_digest}`;
    case "finished":
      return `finished at step ${event.step}, ${event.tokens} tokens`;
    case "failed":
      return `failed (${event.code}): ${event.reason}`;
    case "warning":
      return `warning (${event.code}): ${event.message}`;
    default:
      return event.type;
  }
}
