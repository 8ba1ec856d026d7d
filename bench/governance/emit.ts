import { emitter } from "../emit.ts";

/** Prints one governance figure as a JSON line (see bench/emit.ts). */
export const emit = emitter("governance");
