import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The repository root (where .venv and trainer/ live). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The Python interpreter that runs the trainer: $CRUCIBLE_PYTHON, else the project's .venv
 * (made by scripts/setup-python.sh).
 */
export function trainerPython(env: NodeJS.ProcessEnv): string {
  return env.CRUCIBLE_PYTHON || `${REPO_ROOT}.venv/bin/python`;
}

export interface PythonProbe {
  python: string;
  ok: boolean;
  versions?: Record<string, string>;
  problem?: string;
}

/** Imports the trainer's engine libraries in the trainer's Python and reports their versions. */
export function probeTrainerPython(env: NodeJS.ProcessEnv): PythonProbe {
  const python = trainerPython(env);
  if (!env.CRUCIBLE_PYTHON && !existsSync(python)) {
    return { python, ok: false, problem: "no Python environment; run `bash scripts/setup-python.sh`" };
  }
  const script =
    "import json, sys, torch, transformers, safetensors\n" +
    "print(json.dumps({'python': sys.version.split()[0], 'torch': torch.__version__, 'transformers': transformers.__version__, 'safetensors': safetensors.__version__}))";
  const result = spawnSync(python, ["-c", script], { encoding: "utf8", timeout: 120_000 });
  if (result.error) return { python, ok: false, problem: result.error.message };
  if (result.status !== 0) {
    return { python, ok: false, problem: result.stderr.trim().split("\n").at(-1) ?? `exit ${result.status}` };
  }
  return { python, ok: true, versions: JSON.parse(result.stdout) as Record<string, string> };
}
