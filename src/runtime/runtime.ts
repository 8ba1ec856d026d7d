import type { KeyObject } from "node:crypto";
import { hostname } from "node:os";
import { readHeadFile, type SignedHead } from "../audit/signed-head.ts";
import { loadVerificationKeys } from "../provenance/keyring.ts";
import { loadOrCreateSigningKey, type SigningKey } from "../provenance/signing-key.ts";
import type { TrainerIsolation } from "../runners/trainer-user.ts";
import { jobHandlers } from "../runs/handlers.ts";
import type { InProcessWorker } from "../runs/work-in-process.ts";
import { type HomeLayout, homeLayout } from "./home.ts";

/** What a Crucible process is built from; its entry point reads them (cli/runtime.ts), nothing below does. */
export interface RuntimeOptions {
  /** The installation's home ($CRUCIBLE_HOME). */
  home: string;
  /** The Python interpreter that runs the trainer. */
  python: string;
  /** The process's environment; the trainer inherits only its allowlisted variables. */
  env: NodeJS.ProcessEnv;
  /**
   * Whether the trainer runs as its own user (runners/trainer-user.ts); none when left out. A
   * function is asked once, when a worker is first wired: a process that works no jobs never
   * resolves the trainer user.
   */
  isolation?: TrainerIsolation | (() => TrainerIsolation);
  /** Who holds the leases this process takes (default host:pid). */
  owner?: string;
}

/** One process's wiring: its home's layout, the job handlers its workers run, its keys and heads. */
export interface Runtime {
  home: HomeLayout;
  isolation: TrainerIsolation;
  /** The lease owner and the job handlers of an in-process worker or `crucible worker`. */
  worker: InProcessWorker;
  /** The installation's signing key, created on first use. */
  signingKey(): SigningKey;
  /** Every public key the installation signed with, current and retired, by keyid. */
  verificationKeys(): ReadonlyMap<string, KeyObject>;
  /** The signed heads the home's heads file holds (read afresh each call), plus a file kept elsewhere. */
  signedHeads(keys: KeyObject | ReadonlyMap<string, KeyObject>, elsewhere?: string): SignedHead[];
}

/**
 * The process's composition root: `run`, `worker`, `serve` and `demo` build theirs here, so the
 * home's paths, the trainer's Python and user, and the keys are wired in one place.
 * @example const runtime = createRuntime({ home, python: trainerPython(process.env), env: process.env });
 * await driveRun(db, run.id, runtime.worker);
 */
export function createRuntime(options: RuntimeOptions): Runtime {
  const home = homeLayout(options.home);
  let resolved: TrainerIsolation | undefined;
  let worker: InProcessWorker | undefined;
  return {
    home,
    get isolation() {
      const given = options.isolation ?? { kind: "none", reason: "no trainer user is configured" };
      resolved ??= typeof given === "function" ? given() : given;
      return resolved;
    },
    get worker() {
      const { isolation } = this;
      worker ??= {
        owner: options.owner ?? `${hostname()}:${process.pid}`,
        handlers: jobHandlers({
          python: options.python,
          home: home.home,
          env: options.env,
          ...(isolation.kind === "user" ? { trainerUser: isolation.user } : {}),
        }),
      };
      return worker;
    },
    signingKey: () => loadOrCreateSigningKey(home.keysDir),
    verificationKeys: () => loadVerificationKeys(home.keysDir),
    signedHeads: (keys, elsewhere) => [
      ...readHeadFile(home.headsFile, keys),
      ...(elsewhere ? readHeadFile(elsewhere, keys) : []),
    ],
  };
}
