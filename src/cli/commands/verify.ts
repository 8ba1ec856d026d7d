import { createPublicKey, type KeyObject } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { installationBuilderId, provenancePath } from "../../checkpoints/provenance.ts";
import { checkpointByName } from "../../checkpoints/standing.ts";
import { type Verification, verifyAgainstStore, verifyOffline } from "../../checkpoints/verify-provenance.ts";
import { CrucibleError, invalid } from "../../core/errors.ts";
import type { DsseEnvelope } from "../../provenance/dsse.ts";
import { loadVerificationKeys, PUBLIC_KEYS_DIR } from "../../provenance/keyring.ts";
import { PUBLIC_KEY_FILE } from "../../provenance/signing-key.ts";
import { crucibleHome } from "../../store/open.ts";
import type { CommandContext, RunAction } from "../command.ts";
import { withDb } from "../session.ts";

interface VerifyOptions {
  envelope?: string;
  publicKey?: string;
  builderId?: string;
  workspace?: string;
  offline?: boolean;
  allowTainted?: boolean;
}

/** `crucible verify CHECKPOINT`: signature, verification policy, every file, and taint. */
export function registerVerify(verify: Command, run: RunAction): void {
  verify
    .argument("<checkpoint>", "checkpoint directory, or a registered checkpoint's name or id")
    .option("--envelope <path>", "DSSE envelope (default: <checkpoint>.provenance.json beside the directory)")
    .option(
      "--public-key <path>",
      "one public key to verify with (default: every key the installation has signed with, picked by the envelope's keyid, from $CRUCIBLE_HOME/keys)",
    )
    .option(
      "--builder-id <urn>",
      "the installation that must have built it (default: this store's; required offline), e.g. urn:crucible:installation:inst_…",
    )
    .option("--workspace <name>", "the workspace of a checkpoint given by name, where the name is not unique")
    .option("--offline", "do not open the store: check the files alone (taint is not checked)")
    .option("--allow-tainted", "report a tainted checkpoint without failing (to inspect it)")
    .action(
      run(async (ctx, ref: string, options: VerifyOptions) => {
        const keys = options.publicKey ? readPublicKey(options.publicKey) : installationKeys(ctx.env);
        const isDir = statSync(ref, { throwIfNoEntry: false })?.isDirectory() ?? false;
        const useStore = !options.offline && storeExists(ctx.env);
        if (!isDir && !useStore)
          throw invalid(
            "checkpoint",
            options.offline
              ? "is not a directory (a name is looked up in the store, and --offline was given)"
              : "is not a directory, and there is no store to look a name up in",
            ref,
            "Give the checkpoint's directory, or run where the store is ($CRUCIBLE_HOME or DATABASE_URL)",
          );
        const envelopeFor = (dir: string) => {
          if (options.envelope) return readJsonFile<DsseEnvelope>("--envelope", options.envelope);
          const beside = provenancePath(dir);
          // no --envelope given: the one approval writes beside the checkpoint is what is missing
          if (!existsSync(beside))
            throw new CrucibleError("failed_precondition", "has no provenance: it was never approved", {
              field: "checkpoint",
              value: ref,
              fix: `Verify checks approved checkpoints: approve it first (\`crucible checkpoint approve ${ref}\`), or give its envelope with --envelope PATH`,
            });
          return readJsonFile<DsseEnvelope>("provenance", beside);
        };
        const result: Verification = useStore
          ? await withDb(ctx, async (db) => {
              const dir = isDir ? ref : (await checkpointByName(db, ref, options.workspace)).path;
              const builderId = options.builderId ?? (await installationBuilderId(db));
              return verifyAgainstStore(db, { dir, envelope: envelopeFor(dir), keys, builderId });
            })
          : await verifyOffline({
              dir: ref,
              envelope: envelopeFor(ref),
              keys,
              builderId: requireBuilderId(options.builderId),
            });
        render(ctx, result, options.allowTainted === true);
      }),
    );
}

function render(ctx: CommandContext, v: Verification, allowTainted: boolean): void {
  if (!v.ok) {
    ctx.out.result(
      { verified: false, checkpoint: v.dir, problems: v.problems },
      () => `checkpoint ${v.dir} FAILED verification`,
    );
    const policy = v.problems.some((p) => p.kind === "policy");
    throw new CrucibleError("failed_precondition", v.message, {
      field: v.field,
      value: v.dir,
      fix: policy
        ? "Do not use this checkpoint: its provenance is not what this installation signs on approval (if another installation built it, verify with its --builder-id)"
        : "Do not use this checkpoint: restore it from a verified copy",
    });
  }
  const taint = v.taint;
  const tainted = taint.checked && taint.taintedAt !== null;
  const files = v.statement.subject.length;
  ctx.out.result(
    {
      verified: !tainted,
      checkpoint: v.dir,
      name: v.name,
      files,
      keyid: v.keyid,
      builder_id: v.builderId,
      taint,
      statement: v.statement,
    },
    () =>
      [
        `checkpoint ${v.name ?? v.dir} signature (key ${v.keyid.slice(0, 16)}…), provenance policy (builder ${v.builderId}) and ${files} files verified`,
        taint.checked
          ? tainted
            ? `TAINTED since ${taint.taintedAt}: ${taint.reason}`
            : "not tainted"
          : "taint NOT checked (no store): verify where the store is to learn whether a revoked dataset shaped it",
      ].join("\n"),
  );
  if (tainted && !allowTainted)
    throw new CrucibleError("failed_precondition", `checkpoint ${v.name} is tainted: ${taint.reason}`, {
      field: "checkpoint",
      value: v.name,
      fix: "Do not use it: a dataset that shaped it was revoked (pass --allow-tainted only to inspect it)",
    });
}

function storeExists(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.DATABASE_URL) || existsSync(join(crucibleHome(env), "db"));
}

function requireBuilderId(builderId: string | undefined): string {
  if (builderId) return builderId;
  throw invalid(
    "--builder-id",
    "without the store, the installation that must have built the checkpoint has to be named",
    "(none)",
    "Pass --builder-id urn:crucible:installation:<id> (crucible init and a verify beside the store print it)",
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
