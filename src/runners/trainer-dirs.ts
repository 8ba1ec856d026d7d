import { chmodSync, existsSync, lchownSync, lstatSync, readdirSync, realpathSync, statSync } from "node:fs";
import { dirname, join, parse } from "node:path";
import { CrucibleError } from "../core/errors.ts";
import type { TrainerUser } from "./trainer-user.ts";

/**
 * What under a Crucible home only the worker may open: the provenance signing key and the
 * embedded store (PGlite creates its data directory 0755 with files 0666, readable by anyone).
 */
export const HOME_SECRETS = ["keys", "db"] as const;

/**
 * Closes the home's secrets to every other user before a trainer runs as one: `keys/` and `db/`
 * become 0700 (the private key itself is 0600 already: signing-key.ts refuses anything wider).
 * @example sealHome(crucibleHome(env));
 */
export function sealHome(home: string): void {
  for (const name of HOME_SECRETS) {
    const path = join(home, name);
    if (existsSync(path)) chmodSync(path, 0o700);
  }
}

/**
 * Gives a run directory to the trainer's user: the directory itself, the worker's fresh
 * `job.json` in it, and the `checkpoints/` directory with the step directories the worker linked
 * there for the lease to resume from (lease-dir.ts), so the trainer can write its own checkpoints
 * beside them and prune them by `keep_last`. Nothing deeper is walked: a trainer of an earlier
 * lease (perhaps still running, after a lost lease) owns what it wrote, and a walk could be
 * steered by a directory it swaps for a symlink into the worker's files. Only what the worker
 * owns is handed over, ownership changes never follow symlinks, and a file with several links
 * (a resume point's hard-linked weights) is left alone.
 * @example handOverRunDir(spec.output_dir, { uid: 999, gid: 999, name: "crucible-trainer" });
 */
export function handOverRunDir(dir: string, user: TrainerUser): void {
  const me = process.getuid?.();
  const give = (path: string): boolean => {
    const entry = lstatSync(path, { throwIfNoEntry: false });
    if (!entry || entry.uid !== me) return false;
    if (!(entry.isDirectory() || (entry.isFile() && entry.nlink === 1))) return false;
    lchownSync(path, user.uid, user.gid);
    return entry.isDirectory();
  };
  give(dir);
  give(join(dir, "job.json"));
  const checkpoints = join(dir, "checkpoints");
  if (give(checkpoints))
    for (const name of readdirSync(checkpoints)) if (/^step-\d+$/.test(name)) give(join(checkpoints, name));
}

/**
 * Refuses, before the trainer starts, a path the trainer's user cannot reach: every directory on
 * the way must let it pass (x), and the path itself must be readable (r, and x for a directory).
 * The files directly in a directory path (a checkpoint's) must be readable too. The commonest
 * cases are a home or a Python under a 0700 directory such as /root, and weights written 0600.
 * @example assertTrainerCanRead(["/opt/crucible/.venv/bin/python", spec.base.path], user);
 */
export function assertTrainerCanRead(paths: readonly string[], user: TrainerUser): void {
  for (const path of paths) {
    const real = realpathSync(path);
    const dirs: string[] = [];
    for (let d = dirname(real); d !== parse(real).root; d = dirname(d)) dirs.push(d);
    for (const dir of dirs.reverse()) {
      if (!allows(dir, user, 0o1))
        throw unreachable(path, dir, user, `chmod o+x ${dir} (lets others pass, not list)`);
    }
    const isDir = statSync(real).isDirectory();
    if (!allows(real, user, isDir ? 0o5 : 0o4))
      throw unreachable(path, real, user, `chmod o+r${isDir ? "x" : ""} ${real}`);
    // a checkpoint is a directory of files, and safetensors writes its weights 0600
    const files = isDir ? readdirSync(real).map((name) => join(real, name)) : [];
    for (const file of files.filter((f) => statSync(f).isFile()))
      if (!allows(file, user, 0o4)) throw unreachable(path, file, user, `chmod -R o+r ${real}`);
  }
}

/** Whether the mode bits of `path` grant `want` (r=4, w=2, x=1) to the user. */
function allows(path: string, user: TrainerUser, want: number): boolean {
  const { mode, uid, gid } = statSync(path);
  const shift = uid === user.uid ? 6 : gid === user.gid ? 3 : 0;
  return ((mode >> shift) & want) === want;
}

function unreachable(path: string, blocked: string, user: TrainerUser, fix: string): CrucibleError {
  return new CrucibleError(
    "failed_precondition",
    `the trainer's user ${user.name} (uid ${user.uid}) cannot reach ${path}: ${blocked} is closed to it`,
    {
      field: "trainer user",
      value: path,
      fix: `${fix}, or move it somewhere the trainer's user can read`,
    },
  );
}
