import type { Command } from "commander";
import { runDemo } from "../../demo/run-demo.ts";
import { trainerPython } from "../../jobs/trainer-python.ts";
import { crucibleHome } from "../../store/open.ts";
import type { RunAction } from "../main.ts";
import { progressPrinter } from "../progress.ts";

/** `crucible demo [--fast]`: the main story, offline, with real training and real enforcement. */
export function registerDemo(program: Command, run: RunAction): void {
  program
    .command("demo")
    .description("run the demo story offline: base family, data gates, CPT with replay, SFT, audit")
    .option("--fast", "tiny sizes: every step runs, in a few minutes (what CI runs)")
    .action(
      run(async (ctx, options: { fast?: boolean }) => {
        const { io } = ctx.out;
        const printers = new Map<string, ReturnType<typeof progressPrinter>>();
        const summary = await runDemo({
          home: crucibleHome(ctx.env),
          fast: options.fast === true,
          python: trainerPython(ctx.env),
          say: (line) => ctx.out.info(line),
          onTrainingEvent: (label, event) => {
            const key =
              event.type === "started" || event.type === "progress" ? `${label}:${event.run_id}` : label;
            if (!printers.has(key))
              printers.set(
                key,
                progressPrinter((t) => io.stderr.write(t), event.run_id.replace(/^nano-/, ""), io.isTty),
              );
            printers.get(key)?.(event);
          },
        });
        ctx.out.result(summary, () =>
          [
            `demo ${summary.ok ? "ok" : "FAILED"}: ${summary.workdir}/summary.json`,
            ...Object.entries(summary.runs).map(
              ([name, r]) =>
                `  ${name.padEnd(4)} final loss ${r.final_loss?.toFixed(3) ?? "-"}, tokens ${JSON.stringify(r.tokens_by_source)}`,
            ),
            ...summary.denials.map((d) => `  denied ${d.step}: ${d.actor} ${d.action} [rule: ${d.rule}]`),
            `  audit ${summary.audit.verified ? "verified" : "BROKEN"} (${summary.audit.entries} entries)`,
            `  timings ${JSON.stringify(summary.timings_s)}`,
            `  not built yet: ${summary.steps_not_yet_built.join(", ")}`,
          ].join("\n"),
        );
      }),
    );
}
