import { existsSync } from "node:fs";
import type { Command } from "commander";
import { exportAuditJsonl, verifyAuditFile } from "../../audit/export.ts";
import { assertExtendsLastHead, requireKey, signHeadNow } from "../../audit/head-signer.ts";
import { appendHeadFile } from "../../audit/signed-head.ts";
import type { ChainVerdict } from "../../audit/verify.ts";
import { CrucibleError, invalid } from "../../core/errors.ts";
import {
  requireAuditRead,
  requireInstallationAudit,
  verifyWorkspaceAudit,
} from "../../governed/audit-access.ts";
import { rotateProvenanceKey } from "../../governed/key-rotation.ts";
import { workspaceNameOf } from "../../identity/names.ts";
import { headSigningFromEnv, headsFileOf, isEmbedded } from "../audit-heads.ts";
import type { RunAction } from "../command.ts";
import { commandWorkspace } from "../dataset-context.ts";
import { runtimeFromEnv } from "../runtime.ts";
import { withCaller, withDb } from "../session.ts";
import { readPublicKey } from "./verify.ts";

/** `crucible audit verify|export|head|key rotate`: the hash-chained audit log, its signed heads, the key. */
export function registerAudit(audit: Command, run: RunAction): void {
  audit
    .command("verify")
    .description(
      "recompute the hash chain from the store, or offline from an exported file, and check that it extends every signed head known ($CRUCIBLE_HOME/audit/heads.jsonl and --head)",
    )
    .option("--file <path>", "verify an exported JSONL file instead (needs no store and no identity)")
    .option("--head <path>", "signed heads kept elsewhere (`crucible audit head` output), one per line")
    .option(
      "--public-key <path>",
      "verify signatures with this public key (default: every key the installation signed with, from $CRUCIBLE_HOME/keys)",
    )
    .option(
      "--workspace <name>",
      "workspace whose auditor or admin you are (when reading the store; default: your only one)",
    )
    .action(
      run(async (ctx, options: { file?: string; head?: string; publicKey?: string; workspace?: string }) => {
        const runtime = runtimeFromEnv(ctx.env);
        const keys = options.publicKey ? readPublicKey(options.publicKey) : runtime.verificationKeys();
        const signedHeads = runtime.signedHeads(keys, requireHeadFile(options.head));
        const verdict = options.file
          ? await verifyAuditFile(options.file, { keys, signedHeads })
          : await withCaller(ctx, async (db, caller) =>
              verifyWorkspaceAudit(db, caller, await commandWorkspace(db, caller, options.workspace), {
                signedHeads,
              }),
            );
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
    .command("head")
    .description(
      "sign the chain's head (seq, hash, time) with the installation key, append it to $CRUCIBLE_HOME/audit/heads.jsonl and print it, to ship elsewhere (run where the key is)",
    )
    .action(
      run(async (ctx) => {
        const signed = await withDb(ctx, (db) =>
          signHeadNow(db, headSigningFromEnv(ctx.env, { create: isEmbedded(ctx.env) })),
        );
        const { envelope, ...claim } = signed;
        ctx.out.result({ ...claim, envelope }, () => JSON.stringify(envelope));
      }),
    );

  audit
    .command("export")
    .description(
      "write the chain as JSONL for offline verification: one workspace's entries in full and every other entry as a hash-only stub, or with --all every entry in full",
    )
    .option("--workspace <name>", "workspace whose auditor or admin you are (default: your only one)")
    .option("--all", "the whole installation in full (needs audit.read in every workspace)")
    .option("--out <path>", "file to write (default, or -: standard output)")
    .action(
      run(async (ctx, options: { workspace?: string; all?: boolean; out?: string }) => {
        const toStdout = options.out === undefined || options.out === "-";
        if (toStdout && ctx.out.json)
          throw new CrucibleError(
            "invalid_argument",
            "--json needs --out: the export itself is what standard output holds",
            {
              field: "--json",
              fix: "Give --out FILE to get the result as JSON, or drop --json and redirect the export (> audit.jsonl)",
            },
          );
        if (options.all && options.workspace)
          throw new CrucibleError("invalid_argument", "name one of --workspace and --all, not both", {
            field: "--workspace",
            value: options.workspace,
            fix: "Export one workspace (--workspace acme; default: your only one) or, as an installation admin, everything (--all)",
          });
        const signing = headSigningFromEnv(ctx.env, { create: isEmbedded(ctx.env) });
        let workspaceName: string | null = null;
        const head = await withCaller(ctx, async (db, caller) => {
          let workspace: string | undefined;
          if (options.all) await requireInstallationAudit(db, caller);
          else {
            workspace = await commandWorkspace(db, caller, options.workspace);
            await requireAuditRead(db, caller, workspace, "audit export");
            workspaceName = await workspaceNameOf(db, workspace);
          }
          // the export signs its head: never over a chain cut or rewritten since the last one
          await assertExtendsLastHead(db, signing.headsFile);
          return exportAuditJsonl(db, toStdout ? ctx.out.io.stdout : options.out!, {
            key: requireKey(signing),
            ...(workspace ? { workspace } : {}),
          });
        });
        appendHeadFile(headsFileOf(ctx.env), head);
        const scope = options.all ? "every workspace in full" : `workspace ${workspaceName}`;
        const where = toStdout ? "standard output" : options.out;
        const line = `wrote ${head.seq} entries (${scope}) to ${where} (head ${head.hash})`;
        // on standard output the export is the result: the summary goes beside it, to stderr
        if (toStdout) ctx.out.info(line);
        else
          ctx.out.result(
            {
              file: options.out,
              head: { seq: head.seq, hash: head.hash },
              workspace: workspaceName,
            },
            () => line,
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
        const { keysDir } = runtimeFromEnv(ctx.env).home;
        const rotated = await withCaller(ctx, (db, caller) => rotateProvenanceKey(db, caller, keysDir));
        ctx.out.result(rotated, () => `signing key rotated: ${rotated.previous} -> ${rotated.current}`);
      }),
    );
}

function requireHeadFile(path: string | undefined): string | undefined {
  if (path === undefined || existsSync(path)) return path;
  throw invalid(
    "--head",
    "no such file",
    path,
    "Point it at a file of signed heads (`crucible audit head` output)",
  );
}

function describeVerdict(verdict: ChainVerdict & { workspace?: string | null; signedAt?: string }): string {
  const whose = verdict.workspace ? ` (export of workspace ${verdict.workspace})` : "";
  const stubs = verdict.ok && verdict.stubs ? `, ${verdict.stubs} of them other workspaces' stubs` : "";
  const asOf = verdict.signedAt ? ` as of ${verdict.signedAt}` : "";
  const signed = verdict.ok ? `${asOf}, consistent with ${verdict.signedHeads ?? 0} signed head(s)` : "";
  return verdict.ok
    ? `audit chain verified${whose}: ${verdict.count} entries${stubs}, head seq ${verdict.head.seq} ${verdict.head.hash}${signed}`
    : `audit chain BROKEN at seq ${verdict.seq}: ${verdict.reason}`;
}
