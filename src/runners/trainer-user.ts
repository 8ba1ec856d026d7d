import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { CrucibleError, invalid } from "../core/errors.ts";

/**
 * The unprivileged user the trainer runs as. Its only writable place is the stage's run
 * directory; the worker's home, signing key and embedded store stay the worker's, 0700/0600.
 */
export interface TrainerUser {
  uid: number;
  gid: number;
  /** As configured: a user name, or `uid:gid`. */
  name: string;
}

/** Whether the trainer runs as its own user, and if not, why not. */
export type TrainerIsolation = { kind: "user"; user: TrainerUser } | { kind: "none"; reason: string };

/** What this process may do: its effective uid and its effective Linux capabilities. */
export interface Privileges {
  uid: number;
  capabilities: ReadonlySet<string>;
}

/**
 * The capabilities a non-root worker needs to run the trainer as another user: switch user and
 * group (spawn), give the run directory to it (chown), read the checkpoints it writes
 * (safetensors writes weights 0600) and stop it on cancel (signal).
 */
export const DROP_CAPABILITIES = [
  "CAP_CHOWN",
  "CAP_DAC_READ_SEARCH",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
] as const;
const CAPABILITY_BITS: Record<(typeof DROP_CAPABILITIES)[number], number> = {
  CAP_CHOWN: 0,
  CAP_DAC_READ_SEARCH: 2,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
};

/**
 * This process's privileges: its uid and, on Linux, the effective capabilities named in
 * DROP_CAPABILITIES (from /proc/self/status; none elsewhere).
 * @example trainerIsolation(user, processPrivileges())
 */
export function processPrivileges(): Privileges {
  const uid = process.getuid?.() ?? -1;
  const capabilities = new Set<string>();
  try {
    const line = readFileSync("/proc/self/status", "utf8")
      .split("\n")
      .find((l) => l.startsWith("CapEff:"));
    const effective = BigInt(`0x${line?.split(/\s+/)[1] ?? "0"}`);
    for (const [name, bit] of Object.entries(CAPABILITY_BITS))
      if ((effective >> BigInt(bit)) & 1n) capabilities.add(name);
  } catch {
    // not Linux: only root can switch users
  }
  return { uid, capabilities };
}

/**
 * Decides how the trainer is isolated: as `user` where this process can switch to it (root, or
 * every capability in DROP_CAPABILITIES), otherwise not at all, with the reason. A trainer user
 * that is root, or the worker's own user, is refused: it would isolate nothing.
 * @example trainerIsolation({ uid: 999, gid: 999, name: "crucible-trainer" }, { uid: 0, capabilities: new Set() })
 * // { kind: "user", user: { uid: 999, gid: 999, name: "crucible-trainer" } }
 */
export function trainerIsolation(user: TrainerUser | undefined, privileges: Privileges): TrainerIsolation {
  if (!user) return { kind: "none", reason: "no trainer user is configured" };
  if (user.uid === 0 || user.gid === 0 || user.uid === privileges.uid)
    throw invalid(
      "trainer user",
      `runs as uid ${user.uid}, gid ${user.gid}: root or the worker's own user isolates nothing`,
      user.name,
      "Create an unprivileged user (`useradd --system --shell /usr/sbin/nologin crucible-trainer`) and name it",
    );
  const missing = DROP_CAPABILITIES.filter((c) => !privileges.capabilities.has(c));
  if (privileges.uid !== 0 && missing.length > 0)
    return {
      kind: "none",
      reason: `this worker (uid ${privileges.uid}) cannot switch to ${user.name}: it lacks ${missing.join(", ")}`,
    };
  return { kind: "user", user };
}

/**
 * The one line the worker prints at start and `crucible doctor` shows: how the trainer is
 * isolated, and when it is not, what the trainer could reach and how to fix it.
 * @example isolationLine({ kind: "none", reason: "no trainer user is configured" })
 * // "trainer isolation: none (no trainer user is configured) — the trainer runs as this user and could read the signing key and the store; …"
 */
export function isolationLine(isolation: TrainerIsolation): string {
  if (isolation.kind === "user") {
    const { user } = isolation;
    return `trainer isolation: user ${user.name} (uid ${user.uid}, gid ${user.gid}), writing only its run directory; allowlisted environment`;
  }
  return (
    `trainer isolation: none (${isolation.reason}) — the trainer runs as this user and could read the ` +
    `signing key and the store; run the worker as root (or with ${DROP_CAPABILITIES.join(", ")}) and ` +
    "give it a trainer user (--trainer-user or CRUCIBLE_TRAINER_USER)"
  );
}

/**
 * Resolves a configured trainer user: `uid:gid` as numbers, or a user name looked up with
 * `getent passwd` (so NSS users count too).
 * @example resolveTrainerUser("65534:65534") // { uid: 65534, gid: 65534, name: "65534:65534" }
 */
export function resolveTrainerUser(text: string): TrainerUser {
  const numeric = /^(\d+):(\d+)$/.exec(text);
  if (numeric) return { uid: Number(numeric[1]), gid: Number(numeric[2]), name: text };
  if (!/^[a-z_][a-z0-9_-]*\$?$/i.test(text))
    throw invalid(
      "trainer user",
      "is neither a user name nor uid:gid",
      text,
      "Name a user, e.g. crucible-trainer",
    );
  const found = spawnSync("getent", ["passwd", text], { encoding: "utf8" });
  const fields = found.status === 0 ? found.stdout.trim().split(":") : [];
  if (fields.length < 4)
    throw new CrucibleError("not_found", `there is no user ${text} on this machine`, {
      field: "trainer user",
      value: text,
      fix: `Create it: useradd --system --shell /usr/sbin/nologin ${text}`,
    });
  return { uid: Number(fields[2]), gid: Number(fields[3]), name: text };
}
