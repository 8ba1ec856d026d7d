import type { Command } from "commander";
import { runDemo } from "../../demo/run-demo.ts";
import { demoFailure } from "../../demo/summary.ts";
import type { RunAction } from "../command.ts";
import { progressPrinter } from "../progress.ts";
import { runtimeOptionsFromEnv } from "../runtime.ts";

/** `crucible demo [--fast]`: the main story, offline, with real training and real enforcement. */
export function registerDemo(demo: Command, run: RunAction): void {
  demo.option("--fast", "tiny sizes: every step runs, in a few minutes (what CI runs)").action(
    run(async (ctx, options: { fast?: boolean }) => {
      const { io } = ctx.out;
      const printers = new Map<string, ReturnType<typeof progressPrinter>>();
      const summary = await runDemo({
        ...runtimeOptionsFromEnv(ctx.env),
        fast: options.fast === true,
        say: (line) => ctx.out.info(line),
        onTrainingEvent: (label, event) => {
          if (!printers.has(label))
            printers.set(
              label,
              progressPrinter((t) => io.stderr.write(t), label, io.isTty),
            );
          printers.get(label)?.(event);
        },
      });
      ctx.out.result(summary, () =>
        [
          `demo ${summary.ok ? "ok" : "FAILED"}: ${summary.workdir}/summary.json`,
          ...Object.entries(summary.runs).flatMap(([label, r]) =>
            r.stages.map(
              (st) =>
                `  ${label.padEnd(13)} ${r.run}/${st.stage} final loss ${st.final_loss?.toFixed(3) ?? "-"} (${st.wall_s} s)`,
            ),
          ),
          ...Object.entries(summary.runs).map(
            ([label, r]) => `  ${label.padEnd(13)} tokens ${JSON.stringify(r.tokens_by_source)}`,
          ),
          ...summary.denials.map((d) => `  denied ${d.step}: ${d.actor} ${d.action} [rule: ${d.rule}]`),
          `  approved ${summary.provenance.checkpoint} (mara); provenance ${summary.provenance.verified ? "verified" : "FAILED"}: ${summary.provenance.envelope}`,
          `  revoked ${summary.revocation.version}: runs ${summary.revocation.runs.join(", ")}; ${summary.revocation.tainted_checkpoints} checkpoints tainted`,
          `  audit ${summary.audit.verified ? "verified" : "BROKEN"} (${summary.audit.entries} entries)`,
          `  timings ${JSON.stringify(summary.timings_s)}`,
          ...Object.entries(summary.checks)
            .filter(([, passed]) => !passed)
            .map(([name]) => `  check FAILED: ${name}`),
          `  not built yet: ${summary.steps_not_yet_built.join(", ")}`,
        ].join("\n"),
      );
      const failure = demoFailure(summary);
      if (failure) throw failure;
    }),
  );
}
