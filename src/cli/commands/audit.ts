import type { Command } from "commander";
import { exportAuditJsonl, verifyAuditFile, verifyAuditLog } from "../../audit/export.ts";
import type { ChainVerdict } from "../../audit/verify.ts";
import { CrucibleError } from "../../core/errors.ts";
import { workspaceByName } from "../../identity/names.ts";
import { requireAuditRead } from "../../policy/audit-access.ts";
import type { RunAction } from "../main.ts";
import { withCaller } from "../session.ts";

/** `crucible audit verify|export`: the hash-chained audit log. */
export function registerAudit(program: Command, run: RunAction): void {
  const audit = program.command("audit").description("the tamper-evident audit log");

  audit
    .command("verify")
    .description("recompute the hash chain from the store, or offline from an exported file")
    .option("--file <path>", "verify an exported JSONL file instead (needs no store and no identity)")
    .option("--workspace <name>", "workspace whose auditor or admin you are (when reading the store)")
    .action(
      run(async (ctx, options: { file?: string; workspace?: string }) => {
        const verdict = options.file
          ? await verifyAuditFile(options.file)
          : await withCaller(ctx, async (db, caller) => {
              await requireAuditRead(
                db,
                caller,
                await workspaceByName(db, requireWorkspace(options.workspace)),
                "audit chain",
              );
              return verifyAuditLog(db);
            });
        ctx.out.result(verdict, () => describeVerdict(verdict));
        if (!verdict.ok) {
          throw new CrucibleError(
            "failed_precondition",
            `the audit chain is broken at seq ${verdict.seq}: ${verdict.reason}`,
            {
              fix: "Restore the log from a verified export; the entries from this seq on cannot be trusted",
            },
          );
        }
      }),
    );

  audit
    .command("export")
    .description("write the whole chain as JSONL, for offline verification and archiving")
    .requiredOption("--workspace <name>", "workspace whose auditor or admin you are")
    .requiredOption("--out <path>", "file to write")
    .action(
      run(async (ctx, options: { workspace: string; out: string }) => {
        const head = await withCaller(ctx, async (db, caller) => {
          await requireAuditRead(db, caller, await workspaceByName(db, options.workspace), "audit export");
          return exportAuditJsonl(db, options.out);
        });
        ctx.out.result(
          { file: options.out, head },
          () => `wrote ${head.seq} entries to ${options.out} (head ${head.hash})`,
        );
      }),
    );
}

function requireWorkspace(workspace: string | undefined): string {
  if (workspace) return workspace;
  throw new CrucibleError("invalid_argument", "is required to read the audit log from the store", {
    field: "--workspace",
    fix: "Name a workspace whose auditor or admin you are, or verify an export with --file",
  });
}

function describeVerdict(verdict: ChainVerdict): string {
  return verdict.ok
    ? `audit chain verified: ${verdict.count} entries, head seq ${verdict.head.seq} ${verdict.head.hash}`
    : `audit chain BROKEN at seq ${verdict.seq}: ${verdict.reason}`;
}
