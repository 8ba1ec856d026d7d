import { emitter } from "../emit.ts";

/** Prints one runs figure as a JSON line (see bench/emit.ts). */
export const emit = emitter("runs");

/** The p-th percentile of an ascending array (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
