/**
 * `npm run bench -- NAME [ARGS...]` runs one benchmark; each prints JSON lines
 * {bench, name, value, unit, baseline, ratio} with its baseline measured in the same run.
 *   npm run bench -- intake --mb 10
 *   npm run bench -- governance
 *   npm run bench -- runs --quick
 *   npm run bench -- trainer --device cuda
 *   npm run bench -- cli [--quick] [--root DIR]
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const python = process.env.CRUCIBLE_PYTHON || `${root}.venv/bin/python`;
const BENCHES: Record<string, [string, string[]]> = {
  intake: [process.execPath, ["bin/run-ts.js", "bench/intake/run.ts"]],
  governance: [process.execPath, ["bin/run-ts.js", "bench/governance/run.ts"]],
  runs: [process.execPath, ["bin/run-ts.js", "bench/runs/run.ts"]],
  cli: [process.execPath, ["bin/run-ts.js", "bench/cli/run.ts"]],
  trainer: [python, ["bench/trainer/run.py"]],
};

const [name, ...args] = process.argv.slice(2);
const bench = name ? BENCHES[name] : undefined;
if (!bench) {
  process.stderr.write(
    `usage: npm run bench -- NAME [ARGS...]; NAME is one of ${Object.keys(BENCHES).join(", ")}\n`,
  );
  process.exit(2);
}
const [command, base] = bench;
if (!existsSync(`${root}${base[base.length - 1]}`)) {
  process.stderr.write(`bench/${name} has no entry point ${base.at(-1)}\n`);
  process.exit(1);
}
const result = spawnSync(command, [...base, ...args], { cwd: root, stdio: "inherit" });
process.exit(result.status ?? 1);
