import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { CrucibleError } from "../core/errors.ts";

/** Who holds an embedded store's directory. Written into the lock file as JSON. */
export interface LockOwner {
  pid: number;
  host: string;
  command: string;
  since: string;
}

export interface DirectoryLock {
  readonly path: string;
  release(): void;
}

/**
 * Takes the exclusive lock on an embedded store directory. PGlite is single-process: a second
 * process opening the same data directory would corrupt it, so it gets a clear error naming the
 * holder instead. A lock left by a process that died is taken over.
 */
export function lockDirectory(dir: string, command: string = process.argv.slice(1).join(" ")): DirectoryLock {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "store.lock");
  const me: LockOwner = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      return holdLock(path, me);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = readOwner(path);
    if (owner && isAlive(owner)) {
      throw new CrucibleError(
        "failed_precondition",
        `the embedded store is in use by process ${owner.pid} on ${owner.host} (${owner.command || "unknown command"}, since ${owner.since})`,
        {
          field: "CRUCIBLE_HOME",
          value: dir,
          fix: "Stop that process, or point this command at another directory with CRUCIBLE_HOME, or run a PostgreSQL server and set DATABASE_URL so several processes can share one store",
        },
      );
    }
    try {
      unlinkSync(path); // the holder died: its lock is stale
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
  throw new CrucibleError(
    "unavailable",
    `could not take the store lock ${path}: another process raced for it`,
    {
      fix: "Retry the command",
    },
  );
}

function holdLock(path: string, me: LockOwner): DirectoryLock {
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.off("exit", release);
    const owner = readOwner(path);
    if (owner && owner.pid === me.pid && owner.host === me.host) {
      try {
        unlinkSync(path);
      } catch {
        // already gone: nothing to release
      }
    }
  };
  process.on("exit", release);
  return { path, release };
}

function readOwner(path: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as LockOwner;
  } catch {
    return undefined; // vanished or half-written: treated as stale
  }
}

function isAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true; // cannot check another machine: assume it holds
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
