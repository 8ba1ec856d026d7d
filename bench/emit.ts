/** A figure printer for one benchmark: a JSON line {bench, name, value, unit, baseline, ratio, ...extra}. */
export type Emit = (
  name: string,
  value: number,
  unit: string,
  baseline: number,
  extra?: Record<string, unknown>,
) => void;

/**
 * The `emit` of benchmark `bench`: values rounded to 4 significant digits, the ratio value/baseline.
 * @example const emit = emitter("runs"); emit("events_per_s", 9652, "events/s", 144.6);
 */
export function emitter(bench: string): Emit {
  const round = (x: number) => Number(x.toPrecision(4));
  return (name, value, unit, baseline, extra = {}) => {
    const line = { bench, name, value: round(value), unit, baseline: round(baseline) };
    console.log(JSON.stringify({ ...line, ratio: round(value / baseline), ...extra }));
  };
}
