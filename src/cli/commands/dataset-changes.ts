import type { Command } from "commander";
import {
  approveVersion,
  PURPOSES,
  parseExpiry,
  parsePurposes,
  parseVersionRef,
  redactVersion,
  revokeVersion,
} from "../../data/service/index.ts";
import { versionJson } from "../../data/service/json.ts";
import type { RunAction } from "../command.ts";
import { artifactsFor, commandWorkspace } from "../dataset-context.ts";
import { withCaller } from "../session.ts";

type Ws = { workspace?: string };

/** `crucible dataset redact|approve|revoke`: the governed changes to a version. */
export function registerDatasetChanges(dataset: Command, run: RunAction): void {
  dataset
    .command("redact")
    .description("a new version with every finding replaced by a typed placeholder, rescanned, parent = REF")
    .argument("<ref>", "NAME@vN (NAME alone: the latest)")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, ref: string, options: Ws) => {
        const v = await withCaller(ctx, async (db, caller) =>
          redactVersion(
            db,
            caller,
            { workspace: await commandWorkspace(db, caller, options.workspace), ref: parseVersionRef(ref) },
            { artifacts: artifactsFor(ctx) },
          ),
        );
        ctx.out.result(
          versionJson(v),
          () => `added ${v.name}@v${v.version} (redacted from ${v.name}@v${v.parentVersion}, ${v.digest})`,
        );
      }),
    );

  dataset
    .command("approve")
    .description("approve a version, bound to its digest, for purposes (data stewards; never its uploader)")
    .argument("<ref>", "NAME@vN")
    .requiredOption("--purpose <list>", `comma-separated: ${PURPOSES.join(", ")}`)
    .option("--expires <when>", "ISO date or time, or a lifetime such as 90d or 12h")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, ref: string, options: Ws & { purpose: string; expires?: string }) => {
        const purposes = parsePurposes(options.purpose);
        const expiresAt = options.expires === undefined ? undefined : parseExpiry(options.expires);
        const v = await withCaller(ctx, async (db, caller) =>
          approveVersion(db, caller, {
            workspace: await commandWorkspace(db, caller, options.workspace),
            ref: parseVersionRef(ref),
            purposes,
            ...(expiresAt ? { expiresAt } : {}),
          }),
        );
        ctx.out.result(
          { ...versionJson(v), purposes, expires_at: expiresAt?.toISOString() ?? null },
          () => `approved ${v.name}@v${v.version} (${v.digest}) for ${purposes.join(", ")}`,
        );
      }),
    );

  dataset
    .command("revoke")
    .description(
      "revoke a version for good (data stewards); runs may no longer read it, and every checkpoint it influenced is tainted",
    )
    .argument("<ref>", "NAME@vN")
    .requiredOption("--reason <text>", "why, e.g. 'consent withdrawn'")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, ref: string, options: Ws & { reason: string }) => {
        const v = await withCaller(ctx, async (db, caller) =>
          revokeVersion(db, caller, {
            workspace: await commandWorkspace(db, caller, options.workspace),
            ref: parseVersionRef(ref),
            reason: options.reason,
          }),
        );
        ctx.out.result(
          { ...versionJson(v), reason: options.reason, tainted_checkpoints: v.tainted },
          () =>
            `revoked ${v.name}@v${v.version}; tainted ${v.tainted.length} checkpoints${v.tainted.length ? `: ${v.tainted.join(", ")}` : ""}` +
            `\n\`crucible lineage impact dataset:${v.name}@v${v.version}\` lists everything it influenced`,
        );
      }),
    );
}
