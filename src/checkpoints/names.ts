import { invalid } from "../core/errors.ts";

/** The stages of a base family (ARCHITECTURE §7). */
export const BASE_STAGES = ["pre", "mid", "post"] as const;
export type BaseStage = (typeof BASE_STAGES)[number];

/** A base checkpoint's name, `family@stage`. */
export interface BaseName {
  family: string;
  stage: BaseStage;
}

const FAMILY = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Parses `nano@mid` into its family and stage.
 * @example parseBaseName("nano@mid") // { family: "nano", stage: "mid" }
 */
export function parseBaseName(text: string, field = "base"): BaseName {
  const at = text.lastIndexOf("@");
  const fix = `Write FAMILY@STAGE with STAGE one of ${BASE_STAGES.join(", ")}, e.g. nano@mid`;
  if (at < 0) throw invalid(field, "a base is named FAMILY@STAGE", text, fix);
  const family = text.slice(0, at);
  const stage = text.slice(at + 1);
  if (!FAMILY.test(family))
    throw invalid(
      field,
      `the family must match ${FAMILY} (lower-case letters, digits, '.', '_', '-')`,
      family,
      fix,
    );
  if (!(BASE_STAGES as readonly string[]).includes(stage)) throw invalid(field, "unknown stage", stage, fix);
  return { family, stage: stage as BaseStage };
}

/** @example baseNameText({ family: "nano", stage: "mid" }) // "nano@mid" */
export function baseNameText(name: BaseName): string {
  return `${name.family}@${name.stage}`;
}

/**
 * The registry name of a run's checkpoint.
 * @example runCheckpointName("acme-cpt", "cpt", 6) // "acme-cpt/cpt/step-6"
 */
export function runCheckpointName(runName: string, stage: string, step: number): string {
  return `${runName}/${stage}/step-${step}`;
}
