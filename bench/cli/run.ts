// CLI start-up benchmarks: `npm run bench -- cli [--quick] [--root DIR]`
// Prints one JSON line per figure: {bench, name, value, unit, baseline, ratio}, every baseline
// measured in this same run, its samples interleaved with the figure's. --root measures the
// `crucible` of another checkout (e.g. main before a change) against the same baselines.
// See README.md for what each figure measures.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { staleness } from "../../scripts/build-stamp.js";
import { emitter } from "../emit.ts";

const emit = emitter("cli");
const args = process.argv.slice(2);
const samples = args.includes("--quick") ? 3 : 7;
const here = fileURLToPath(new URL("../../", import.meta.url));
const root = args.includes("--root") ? resolve(args[args.indexOf("--root") + 1]!) : here;
const crucible = join(root, "bin/crucible.js");

/** Writes the process's peak resident set (kB) on stderr as it exits: `node --import PEAK ...`. */
const PEAK = `data:text/javascript,import{writeSync}from"node:fs";process.on("exit",()=>writeSync(2,"\\npeak_rss_kb="+process.resourceUsage().maxRSS+"\\n"))`;

/** A bare PGlite open of the same data directory: import, start, one query, close. */
const BARE_PGLITE = `import{PGlite}from"@electric-sql/pglite";const pg=new PGlite(process.env.CRUCIBLE_HOME+"/db");await pg.waitReady;await pg.query("SELECT 1");await pg.close();`;

interface Sample {
  seconds: number;
  peakMb: number;
}

/** Runs `node ...argv` to its end (exit 0 required): its wall time and peak resident set. */
function sample(argv: string[], env: NodeJS.ProcessEnv): Sample {
  const started = performance.now();
  const result = spawnSync(process.execPath, ["--import", PEAK, ...argv], {
    cwd: here,
    env,
    encoding: "utf8",
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0)
    throw new Error(`node ${argv.join(" ")} exited ${result.status}:\n${result.stderr}`);
  const peak = /peak_rss_kb=(\d+)/.exec(result.stderr);
  if (!peak) throw new Error(`node ${argv.join(" ")} did not report its peak memory`);
  return { seconds, peakMb: Number(peak[1]) / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** `samples` runs of each command, interleaved so that the machine's load falls on both alike. */
function interleaved(commands: string[][], env: NodeJS.ProcessEnv): Sample[][] {
  const all: Sample[][] = commands.map(() => []);
  for (let i = 0; i < samples; i++)
    for (const [c, argv] of commands.entries()) all[c]!.push(sample(argv, env));
  return all;
}

const home = mkdtempSync(join(tmpdir(), "crucible-bench-cli-"));
const env = { PATH: process.env.PATH, HOME: process.env.HOME, CRUCIBLE_HOME: home };
const launcher = staleness(root) === null ? "dist" : `tsx (${staleness(root)})`;
try {
  sample([crucible, "init", "--workspace", "acme", "--admin", "root"], env);
  const common = { samples, launcher, root };

  const [help, bare] = interleaved(
    [
      [crucible, "--help"],
      ["-e", "0"],
    ],
    env,
  );
  const helpS = median(help!.map((s) => s.seconds));
  const nodeS = median(bare!.map((s) => s.seconds));
  emit("help_s", helpS, "s", nodeS, {
    ...common,
    over_baseline_s: Number((helpS - nodeS).toFixed(3)),
    target: "over_baseline_s <= 0.25 (baseline: node -e 0)",
  });

  // the bare open runs from this checkout's node_modules: the same PGlite for either --root
  const [read, open] = interleaved(
    [
      [crucible, "run", "list", "--as", "root"],
      ["--input-type=module", "-e", BARE_PGLITE],
    ],
    env,
  );
  const readS = median(read!.map((s) => s.seconds));
  const openS = median(open!.map((s) => s.seconds));
  emit("read_s", readS, "s", openS, {
    ...common,
    command: "run list",
    over_baseline_s: Number((readS - openS).toFixed(3)),
    target: "over_baseline_s <= 0.5 (baseline: a bare PGlite open of the same store, in a new node)",
  });
  const readMb = Math.max(...read!.map((s) => s.peakMb));
  emit("read_peak_rss_mb", readMb, "MB", Math.max(...open!.map((s) => s.peakMb)), {
    ...common,
    command: "run list",
    target: "value <= 200 (baseline: the bare PGlite open's peak)",
  });
} finally {
  rmSync(home, { recursive: true, force: true });
}
