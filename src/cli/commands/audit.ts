import { join } from "node:path";
import type { Command } from "commander";
import { exportAuditJsonl, verifyAuditFile, verifyAuditLog } from "../../audit/export.ts";
import type { ChainVerdict } from "../../audit/verify.ts";
import { CrucibleError } from "../../core/errors.ts";
import { workspaceByName } from "../../identity/names.ts";
import { requireAuditRead, requireInstallationAudit } from "../../policy/audit-access.ts";
import { rotateProvenanceKey } from "../../policy/key-rotation.ts";
import { crucibleHome } from "../../store/open.ts";
import type { RunAction } from "../main.ts";
import { withCaller } from "../session.ts";

/** `crucible audit verify|export|key rotate`: the hash-chained audit log and the provenance key. */
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
    .description(
      "write the chain as JSONL for offline verification: one workspace's entries in full and every other entry as a hash-only stub, or with --all every entry in full",
    )
    .option("--workspace <name>", "workspace whose auditor or admin you are")
    .option("--all", "the whole installation in full (needs audit.read in every workspace)")
    .requiredOption("--out <path>", "file to write")
    .action(
      run(async (ctx, options: { workspace?: string; all?: boolean; out: string }) => {
        if (Boolean(options.all) === Boolean(options.workspace))
          throw new CrucibleError("invalid_argument", "name exactly one of --workspace and --all", {
            field: "--workspace",
            value: options.workspace,
            fix: "Export one workspace (--workspace acme) or, as an installation admin, everything (--all)",
          });
        const head = await withCaller(ctx, async (db, caller) => {
          if (options.all) {
            await requireInstallationAudit(db, caller);
            return exportAuditJsonl(db, options.out);
          }
          const workspace = await workspaceByName(db, options.workspace!);
          await requireAuditRead(db, caller, workspace, "audit export");
          return exportAuditJsonl(db, options.out, { workspace });
        });
        const scope = options.all ? "every workspace in full" : `workspace ${options.workspace}`;
        ctx.out.result(
          { file: options.out, head, workspace: options.workspace ?? null },
          () => `wrote ${head.seq} entries (${scope}) to ${options.out} (head ${head.hash})`,
        );
      }),
    );

  registerKey(audit, run);
}

function registerKey(audit: Command, run: RunAction): void {
  audit
    .command("key")
    .description("the provenance signing key")
    .command("rotate")
    .description(
      "replace the installation's signing key; older statements stay verifiable by their keyid (admins of every workspace)",
    )
    .action(
      run(async (ctx) => {
        const keysDir = join(crucibleHome(ctx.env), "keys");
        const rotated = await withCaller(ctx, (db, caller) => rotateProvenanceKey(db, caller, keysDir));
        ctx.out.result(rotated, () => `signing key rotated: ${rotated.previous} -> ${rotated.current}`);
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

function describeVerdict(verdict: ChainVerdict & { workspace?: string | null }): string {
  const whose = verdict.workspace ? ` (export of workspace ${verdict.workspace})` : "";
  const stubs = verdict.ok && verdict.stubs ? `, ${verdict.stubs} of them other workspaces' stubs` : "";
  return verdict.ok
    ? `audit chain verified${whose}: ${verdict.count} entries${stubs}, head seq ${verdict.head.seq} ${verdict.head.hash}`
    : `audit chain BROKEN at seq ${verdict.seq}: ${verdict.reason}`;
}
