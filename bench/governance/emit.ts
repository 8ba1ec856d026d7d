/** Prints one figure as a JSON line {bench, name, value, unit, baseline, ratio, ...extra}. */
export function emit(
  name: string,
  value: number,
  unit: string,
  baseline: number,
  extra: Record<string, unknown> = {},
): void {
  const round = (x: number) => Number(x.toPrecision(4));
  console.log(
    JSON.stringify({
      bench: "governance",
      name,
      value: round(value),
      unit,
      baseline: round(baseline),
      ratio: round(value / baseline),
      ...extra,
    }),
  );
}
