import { createPublicKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import type { DsseEnvelope } from "../../audit/dsse.ts";
import { loadVerificationKeys, PUBLIC_KEYS_DIR } from "../../audit/key-rotation.ts";
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
      "one public key to verify with (default: every key the installation has signed with, picked by the envelope's keyid, from $CRUCIBLE_HOME/keys)",
    )
    .action(
      run(async (ctx, dir: string, options: { envelope?: string; publicKey?: string }) => {
        const envelopePath = options.envelope ?? `${dir.replace(/\/+$/, "")}.provenance.json`;
        const envelope = readJsonFile<DsseEnvelope>("--envelope", envelopePath);
        const keys = options.publicKey ? readPublicKey(options.publicKey) : installationKeys(ctx.env);
        const verdict = await verifyCheckpoint(dir, envelope, keys);
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
          { verified: true, checkpoint: dir, files, keyid: verdict.keyid, statement: verdict.statement },
          () =>
            `checkpoint ${dir} verified: signature (key ${verdict.keyid.slice(0, 16)}…) and ${files} files`,
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

/** Every key the installation has signed with (current and retired), by keyid. */
function installationKeys(env: NodeJS.ProcessEnv): Map<string, KeyObject> {
  const dir = join(crucibleHome(env), "keys");
  const keys = loadVerificationKeys(dir);
  if (keys.size === 0)
    throw invalid(
      "--public-key",
      `no public keys in ${dir} (no ${PUBLIC_KEY_FILE}, nothing under ${PUBLIC_KEYS_DIR}/)`,
      dir,
      "Give the installation's public key with --public-key",
    );
  return keys;
}

/**
 * One public key from a PEM file named by `--public-key`.
 * @example const key = readPublicKey("provenance-ed25519.pub.pem");
 */
export function readPublicKey(path: string): KeyObject {
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
