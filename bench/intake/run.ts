/**
 * Intake benchmark. Run: `npx tsx bench/intake/run.ts [--mb 100] [--rss-small-mb 10] [--repeat 3]`.
 * Prints JSON lines {bench, name, value, unit, baseline, ratio}; every baseline is measured in
 * the same run on the same machine. Throughput is MB (10^6 bytes) of the JSONL file per
 * CPU-second of this process, best of --repeat runs: per core, and robust to other load on a
 * shared machine; one wall-clock line is printed for comparison. The regex-only passes (the
 * scanner's bare candidate pattern: the ceiling; twelve naive regexes: the baseline) run over
 * the same strings the scanner sees, held in memory.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ALL_DETECTORS, type DetectorId } from "../../src/data/scan/detectors.ts";
import type { Hit } from "../../src/data/scan/findings.ts";
import { Scanner } from "../../src/data/scan/scanner.ts";
import { scoreDetectors } from "../../test/support/scan/evaluate.ts";
import { defaultCanaries, generateLabelledSet } from "../../test/support/scan/labelled.ts";
import { writeCorpus } from "./corpus.ts";
import { intake, readOnlyPass } from "./pipeline.ts";
import { candidatePass, fieldStrings, NAIVE_REGEXES, naivePass } from "./regex-passes.ts";

const SEED = 7;
const canaries = defaultCanaries(SEED);

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i === -1 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}

function emit(name: string, value: number, unit: string, baseline: number | null) {
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const ratio = baseline ? round(value / baseline) : null;
  console.log(
    JSON.stringify({
      bench: "intake",
      name,
      value: round(value),
      unit,
      baseline: baseline === null ? null : round(baseline),
      ratio,
    }),
  );
}

interface Timing<T> {
  /** CPU seconds of this process (all its threads): what "per core" means, and what other load on the machine does not inflate. */
  cpuSeconds: number;
  wallSeconds: number;
  result: T;
}

/** Best of `repeat` runs by CPU time. */
async function timed<T>(repeat: number, work: () => Promise<T>): Promise<Timing<T>> {
  let best: Timing<T> | undefined;
  for (let i = 0; i < repeat; i += 1) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const result = await work();
    const used = process.cpuUsage(cpu);
    const timing = {
      cpuSeconds: (used.user + used.system) / 1e6,
      wallSeconds: (performance.now() - start) / 1000,
      result,
    };
    if (!best || timing.cpuSeconds < best.cpuSeconds) best = timing;
  }
  return best!;
}

/** Child mode: run the intake pipeline once and report this process's peak RSS. */
async function child(path: string): Promise<void> {
  await intake(path, `${path}.report.json`, canaries);
  console.log(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
}

function peakRssMiB(path: string): number {
  const self = fileURLToPath(import.meta.url);
  const out = spawnSync(process.execPath, ["--import", "tsx", self, "--child", path], { encoding: "utf8" });
  if (out.status !== 0) throw new Error(`child failed: ${out.stderr}`);
  const last = out.stdout.trim().split("\n").pop() ?? "{}";
  return (JSON.parse(last) as { maxRssKiB: number }).maxRssKiB / 1024;
}

function naiveScan(text: string): Hit[] {
  const hits: Hit[] = [];
  for (const [detector, re] of Object.entries(NAIVE_REGEXES)) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      hits.push({
        detector: detector as DetectorId,
        start: m.index,
        end: m.index + m[0].length,
        confidence: 1,
      });
    }
  }
  return hits;
}

async function main(): Promise<void> {
  const childAt = process.argv.indexOf("--child");
  if (childAt !== -1) return child(process.argv[childAt + 1] ?? "");
  const mb = arg("mb", 100);
  const smallMb = arg("rss-small-mb", 10);
  const repeat = arg("repeat", 3);
  const dir = mkdtempSync(join(tmpdir(), "crucible-bench-intake-"));
  try {
    const big = join(dir, "corpus.jsonl");
    const small = join(dir, "small.jsonl");
    writeCorpus(big, mb * 1e6, SEED);
    writeCorpus(small, smallMb * 1e6, SEED);
    const megabytes = statSync(big).size / 1e6;

    const e2e = await timed(repeat, () => intake(big, join(dir, "report.json"), canaries));
    const readOnly = await timed(repeat, () => readOnlyPass(big));
    const strings = await fieldStrings(big);
    const ceiling = await timed(repeat, async () => candidatePass(strings, canaries));
    const naive = await timed(repeat, async () => naivePass(strings));
    const rate = (t: Timing<unknown>) => megabytes / t.cpuSeconds;
    emit("end_to_end_throughput_vs_naive_12_regex", rate(e2e), "MB/s/core", rate(naive));
    emit("end_to_end_throughput_vs_candidate_regex_ceiling", rate(e2e), "MB/s/core", rate(ceiling));
    emit("read_parse_digest_only_throughput", rate(readOnly), "MB/s/core", null);
    emit("candidate_regex_only_throughput", rate(ceiling), "MB/s/core", null);
    emit("naive_12_regex_throughput", rate(naive), "MB/s/core", null);
    emit("end_to_end_throughput_wall_clock", megabytes / e2e.wallSeconds, "MB/s", null);
    emit("end_to_end_findings", e2e.result.findings, "findings", null);
    emit("end_to_end_records", e2e.result.records, "records", null);

    const rssSmall = peakRssMiB(small);
    const rssBig = peakRssMiB(big);
    emit(`peak_rss_${mb}mb_vs_${smallMb}mb`, rssBig, "MiB", rssSmall);

    const examples = generateLabelledSet({ seed: SEED, perDetector: 300, negatives: 3000 });
    const scanner = new Scanner({ canaries });
    const ours = scoreDetectors((t) => scanner.scanText(t), examples);
    const theirs = scoreDetectors(naiveScan, examples);
    for (const detector of ALL_DETECTORS) {
      const s = ours.find((x) => x.detector === detector)!;
      const covered = detector in NAIVE_REGEXES;
      const n = theirs.find((x) => x.detector === detector)!;
      emit(`precision.${detector}`, s.precision, "fraction", covered ? n.precision : null);
      emit(`recall.${detector}`, s.recall, "fraction", covered ? n.recall : null);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
