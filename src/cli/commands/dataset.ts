import type { Command } from "commander";
import { invalid } from "../../core/errors.ts";
import type { DatasetFormat } from "../../data/read/options.ts";
import { renderReport } from "../../data/report-text.ts";
import {
  addDataset,
  diffVersions,
  listDatasets,
  listVersions,
  parseVersionRef,
  showVersion,
  versionReport,
} from "../../data/service/index.ts";
import { versionJson } from "../../data/service/json.ts";
import type { RunAction } from "../command.ts";
import { artifactsFor, commandWorkspace } from "../dataset-context.ts";
import { detailsText, diffText, versionsTable } from "../dataset-render.ts";
import { withCaller } from "../session.ts";
import { registerDatasetChanges } from "./dataset-changes.ts";

const FORMATS: readonly DatasetFormat[] = ["jsonl", "text", "csv", "parquet"];
type Ws = { workspace?: string };
type AddOptions = Ws & { format?: string; textColumn: string; allowControlChars?: boolean };

/** `crucible dataset add|list|show|versions|diff|report|redact|approve|revoke`. */
export function registerDataset(dataset: Command, run: RunAction): void {
  dataset
    .command("add")
    .description(
      "read, digest and scan a file in one pass (for the workspace's canaries too); register it as the next version of NAME",
    )
    .argument("<name>", "dataset name, e.g. acme-handbook")
    .argument("<file>", "JSONL, text, CSV or Parquet file")
    .option("--workspace <name>", "workspace (default: your only one)")
    .option("--format <format>", `one of ${FORMATS.join(", ")} (default: from the extension)`)
    .option("--text-column <column>", "CSV and Parquet: the column holding the text", "text")
    .option(
      "--allow-control-chars",
      "accept C0 control characters (NUL, form feed, escape…) in the text; by default they are refused with their line and column",
    )
    .action(
      run(async (ctx, name: string, file: string, options: AddOptions) => {
        const format = checkFormat(options.format);
        const onProgress = (n: number) => ctx.out.info(`read ${n} records of ${file}`);
        const v = await withCaller(ctx, async (db, caller) =>
          addDataset(
            db,
            caller,
            {
              workspace: await commandWorkspace(db, caller, options.workspace),
              name,
              file,
              read: {
                ...(format ? { format } : {}),
                textColumn: options.textColumn,
                allowControlChars: options.allowControlChars === true,
              },
            },
            { artifacts: artifactsFor(ctx), onProgress },
          ),
        );
        ctx.out.result(
          versionJson(v),
          () => `added ${v.name}@v${v.version} (${v.records} records, ${v.digest})`,
        );
      }),
    );

  dataset
    .command("list")
    .description("every dataset of the workspace with its latest version")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, options: Ws) => {
        const rows = await withCaller(ctx, async (db, caller) =>
          listDatasets(db, caller, await commandWorkspace(db, caller, options.workspace)),
        );
        ctx.out.result({ datasets: rows.map(versionJson) }, () =>
          rows.length ? versionsTable(rows) : "no datasets",
        );
      }),
    );

  dataset
    .command("versions")
    .description("every version of a dataset, with lineage and status")
    .argument("<name>", "dataset name")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, name: string, options: Ws) => {
        const rows = await withCaller(ctx, async (db, caller) =>
          listVersions(
            db,
            caller,
            await commandWorkspace(db, caller, options.workspace),
            parseVersionRef(name).name,
          ),
        );
        ctx.out.result({ versions: rows.map(versionJson) }, () => versionsTable(rows));
      }),
    );

  dataset
    .command("show")
    .description("one version: digest, counts, findings, approvals, revocation")
    .argument("<ref>", "NAME@vN (NAME alone: the latest)")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, ref: string, options: Ws) => {
        const d = await withCaller(ctx, async (db, caller) =>
          showVersion(
            db,
            caller,
            await commandWorkspace(db, caller, options.workspace),
            parseVersionRef(ref),
          ),
        );
        const { approvals, revocation, findings, flaggedRecords } = d;
        ctx.out.result(
          { ...versionJson(d), findings, flagged_records: flaggedRecords, approvals, revocation },
          () => detailsText(d),
        );
      }),
    );

  dataset
    .command("diff")
    .description("records added and removed between two versions (by record digest), and their findings")
    .argument("<from>", "NAME@vN")
    .argument("<to>", "NAME@vM")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, from: string, to: string, options: Ws) => {
        const d = await withCaller(ctx, async (db, caller) =>
          diffVersions(
            db,
            caller,
            {
              workspace: await commandWorkspace(db, caller, options.workspace),
              from: parseVersionRef(from, "from"),
              to: parseVersionRef(to, "to"),
            },
            artifactsFor(ctx),
          ),
        );
        ctx.out.result(d, () => diffText(d));
      }),
    );

  dataset
    .command("report")
    .description("the stored pre-screen report (masked previews only); --json gives it whole")
    .argument("<ref>", "NAME@vN (NAME alone: the latest)")
    .option("--workspace <name>", "workspace (default: your only one)")
    .option("--examples <n>", "flagged examples shown as text", "20")
    .action(
      run(async (ctx, ref: string, options: Ws & { examples: string }) => {
        const examples = Number(options.examples);
        if (!Number.isInteger(examples) || examples < 0)
          throw invalid("--examples", "not a whole number", options.examples, "Give a count like 50");
        const report = await withCaller(ctx, async (db, caller) =>
          versionReport(
            db,
            caller,
            await commandWorkspace(db, caller, options.workspace),
            parseVersionRef(ref),
          ),
        );
        ctx.out.result(report, () => `${report.version}\n${renderReport(report, examples)}`);
      }),
    );

  registerDatasetChanges(dataset, run);
}

function checkFormat(format: string | undefined): DatasetFormat | undefined {
  if (format === undefined) return undefined;
  if (!(FORMATS as readonly string[]).includes(format))
    throw invalid("--format", "unknown format", format, `Use one of ${FORMATS.join(", ")}`);
  return format as DatasetFormat;
}
