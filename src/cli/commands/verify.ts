import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import type { DsseEnvelope } from "../../audit/dsse.ts";
import { verifyCheckpoint } from "../../audit/provenance.ts";
import { PUBLIC_KEY_FILE } from "../../audit/signing-key.ts";
import { CrucibleError, invalid } from "../../core/errors.ts";
import { crucibleHome } from "../../store/open.ts";
import type { RunAction } from "../main.ts";

/** `crucible verify CHECKPOINT`: signature and every file's digest, offline. */
export function registerVerify(program: Command, run: RunAction): void {
  program
    .command("verify")
    .description("verify a checkpoint against its signed provenance, offline (rehashes every file)")
    .argument("<checkpoint>", "checkpoint directory")
    .option("--envelope <path>", "DSSE envelope (default: <checkpoint>.provenance.json beside the directory)")
    .option(
      "--public-key <path>",
      "installation public key (default: $CRUCIBLE_HOME/keys/provenance-ed25519.pub.pem)",
    )
    .action(
      run(async (ctx, dir: string, options: { envelope?: string; publicKey?: string }) => {
        const envelopePath = options.envelope ?? `${dir.replace(/\/+$/, "")}.provenance.json`;
        const keyPath = options.publicKey ?? join(crucibleHome(ctx.env), "keys", PUBLIC_KEY_FILE);
        const envelope = readJsonFile<DsseEnvelope>("--envelope", envelopePath);
        const publicKey = readPublicKey(keyPath);
        const verdict = await verifyCheckpoint(dir, envelope, publicKey);
        if (!verdict.ok) {
          ctx.out.result(
            { verified: false, checkpoint: dir, problems: verdict.problems },
            () => `checkpoint ${dir} FAILED verification`,
          );
          throw new CrucibleError("failed_precondition", verdict.message, {
            field: "checkpoint",
            value: dir,
            fix: "Do not use this checkpoint: restore it from a verified copy",
          });
        }
        const files = verdict.statement.subject.length;
        ctx.out.result(
          { verified: true, checkpoint: dir, files, statement: verdict.statement },
          () => `checkpoint ${dir} verified: signature and ${files} files`,
        );
      }),
    );
}

function readJsonFile<T>(field: string, path: string): T {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch (err) {
    throw invalid(
      field,
      `cannot be read as JSON: ${(err as Error).message}`,
      path,
      "Point it at the provenance envelope written when the checkpoint was approved",
    );
  }
}

function readPublicKey(path: string) {
  try {
    return createPublicKey(readFileSync(path));
  } catch (err) {
    throw invalid(
      "--public-key",
      `is not a readable public key: ${(err as Error).message}`,
      path,
      "Give the installation's provenance-ed25519.pub.pem",
    );
  }
}
