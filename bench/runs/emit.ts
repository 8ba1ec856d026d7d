/** One JSON line per figure on stdout: {bench: "runs", name, value, unit, baseline, ratio, ...}. */
export function emit(
  name: string,
  value: number,
  unit: string,
  baseline: number,
  extra: Record<string, unknown> = {},
): void {
  const round = (x: number) => Number(x.toPrecision(4));
  const line = { bench: "runs", name, value: round(value), unit, baseline: round(baseline) };
  console.log(JSON.stringify({ ...line, ratio: round(value / baseline), ...extra }));
}

/** The p-th percentile of an ascending array (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
