import type { TrainerEvent } from "../protocol/types/events.gen.ts";

/**
 * Shows a training run's progress events: a bar redrawn in place on a terminal, a plain line
 * at every tenth of the run otherwise (logs, CI).
 */
export function progressPrinter(
  write: (text: string) => void,
  label: string,
  isTty: boolean,
): (event: TrainerEvent) => void {
  let lastTenth = -1;
  let started = 0;
  return (event) => {
    if (event.type === "started") started = Date.now();
    if (event.type !== "progress") return;
    const fraction = event.step / event.total_steps;
    const elapsed = (Date.now() - started) / 1000;
    const eta = fraction > 0 ? Math.max(0, elapsed / fraction - elapsed) : 0;
    const stats = `step ${event.step}/${event.total_steps}  loss ${event.loss.toFixed(3)}  ${Math.round(event.tokens_per_s)} tok/s  eta ${Math.round(eta)}s`;
    if (isTty) {
      const width = 24;
      const filled = Math.round(fraction * width);
      write(`\r${label.padEnd(6)} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${stats}`);
      if (event.step === event.total_steps) write("\n");
      return;
    }
    const tenth = Math.floor(fraction * 10);
    if (tenth > lastTenth || event.step === event.total_steps) {
      lastTenth = tenth;
      write(`${label}: ${stats}\n`);
    }
  };
}
