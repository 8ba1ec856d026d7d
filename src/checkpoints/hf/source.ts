import { lstat, readdir, readFile, realpath, stat } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { invalid } from "../../core/errors.ts";

/** A model directory as given to `crucible base add`, with what is known of where it came from. */
export interface HfSource {
  /** The directory holding config.json and the weights (a cache layout's snapshot). */
  dir: string;
  /** Links are followed only to files inside this directory (a cache layout's repo folder). */
  boundary: string;
  /** org/name, from a cache layout's `models--org--name`. */
  repo?: string;
  /** The snapshot's commit (cache layout) or the git checkout's HEAD. */
  revision?: string;
}

/** One file to store: its path in the base ('/'-separated) and where its bytes are read from. */
export interface SourceFile {
  path: string;
  from: string;
  bytes: number;
}

/**
 * Resolves a plain Hugging Face model directory, a cache repo folder (`models--org--name`, its
 * `refs/main` naming the snapshot) or a snapshot folder (`models--org--name/snapshots/REV`).
 * @example await resolveHfSource("~/.cache/huggingface/hub/models--Qwen--Qwen2-0.5B") // { dir: ".../snapshots/<rev>", repo: "Qwen/Qwen2-0.5B", ... }
 */
export async function resolveHfSource(given: string): Promise<HfSource> {
  const dir = resolve(given);
  if (!(await stat(dir).catch(() => undefined))?.isDirectory())
    throw invalid(
      "dir",
      "is not a directory",
      given,
      "Give the model directory (the one holding config.json)",
    );
  const repoOf = (folder: string) => basename(folder).split("--").slice(1).join("/");
  if (/^models--.+/.test(basename(dir)) && (await isDir(join(dir, "snapshots")))) {
    const revision = await snapshotOf(dir);
    return { dir: join(dir, "snapshots", revision), boundary: dir, repo: repoOf(dir), revision };
  }
  const repoDir = dirname(dirname(dir));
  if (basename(dirname(dir)) === "snapshots" && /^models--.+/.test(basename(repoDir)))
    return { dir, boundary: repoDir, repo: repoOf(repoDir), revision: basename(dir) };
  const revision = await gitHead(dir);
  return { dir, boundary: dir, ...(revision ? { revision } : {}) };
}

/**
 * Every file under `source.dir` except dot-files and dot-folders (`.git`, `.cache`), which come
 * back in `hidden`. A symbolic link is followed only when it resolves to a file inside
 * `source.boundary` (the cache's `../../blobs/`); a link leading anywhere else, a linked folder,
 * or anything not a regular file (a FIFO would hang the copy) is refused, naming it.
 * @example const { files } = await listSourceFiles(await resolveHfSource(dir));
 */
export async function listSourceFiles(source: HfSource): Promise<{ files: SourceFile[]; hidden: string[] }> {
  const boundary = await realpath(source.boundary);
  const files: SourceFile[] = [];
  const hidden: string[] = [];
  const walk = async (current: string): Promise<void> => {
    for (const name of (await readdir(current)).sort()) {
      const path = join(current, name);
      const rel = relative(source.dir, path).split(sep).join("/");
      if (name.startsWith(".")) {
        if (current === source.dir) hidden.push(rel);
        continue;
      }
      if (/[\\\p{Cc}]/u.test(name))
        throw invalid(rel, "has a backslash or a control character in its name", rel, "Rename the file");
      const info = await lstat(path);
      if (info.isDirectory()) await walk(path);
      else if (info.isFile()) files.push({ path: rel, from: path, bytes: info.size });
      else if (info.isSymbolicLink()) files.push(await linkedFile(path, rel, boundary));
      else
        throw invalid(
          rel,
          "is not a regular file",
          rel,
          "Remove it from the model directory (only files are stored)",
        );
    }
  };
  await walk(source.dir);
  return { files, hidden };
}

async function linkedFile(path: string, rel: string, boundary: string): Promise<SourceFile> {
  const target = await realpath(path).catch(() => undefined);
  if (target === undefined)
    throw invalid(
      rel,
      "is a symbolic link to nothing",
      rel,
      "Download the model again, or remove the broken link",
    );
  if (!target.startsWith(boundary + sep))
    throw invalid(
      rel,
      `is a symbolic link to ${target}, outside the model directory ${boundary}`,
      rel,
      "Copy the file itself into the model directory: base add follows links only within it (the Hugging Face cache's blobs)",
    );
  const info = await stat(target);
  if (!info.isFile())
    throw invalid(
      rel,
      "is a symbolic link to something that is not a file",
      rel,
      "Replace the link with the file itself",
    );
  return { path: rel, from: target, bytes: info.size };
}

/** The snapshot `refs/main` names, or the only snapshot there is. */
async function snapshotOf(repoDir: string): Promise<string> {
  const ref = (await readFile(join(repoDir, "refs", "main"), "utf8").catch(() => "")).trim();
  const snapshots = (await readdir(join(repoDir, "snapshots"))).filter((s) => !s.startsWith("."));
  if (ref && snapshots.includes(ref)) return ref;
  if (snapshots.length === 1) return snapshots[0]!;
  throw invalid(
    "dir",
    ref
      ? `refs/main names snapshot ${ref}, which is not in snapshots/`
      : `has no refs/main and ${snapshots.length} snapshots (${snapshots.join(", ") || "none"})`,
    repoDir,
    "Give the snapshot directory itself: models--org--name/snapshots/REV",
  );
}

/** The commit a git checkout's HEAD points at (a `git clone` of a Hugging Face repository). */
async function gitHead(dir: string): Promise<string | undefined> {
  const head = (await readFile(join(dir, ".git", "HEAD"), "utf8").catch(() => "")).trim();
  const ref = /^ref: (refs(?:\/[\w-]+)+)$/.exec(head)?.[1];
  if (!ref) return /^[0-9a-f]{40}$/.test(head) ? head : undefined;
  const loose = (await readFile(join(dir, ".git", ref), "utf8").catch(() => "")).trim();
  if (/^[0-9a-f]{40}$/.test(loose)) return loose;
  const packed = await readFile(join(dir, ".git", "packed-refs"), "utf8").catch(() => "");
  return packed
    .split("\n")
    .find((l) => l.endsWith(` ${ref}`))
    ?.slice(0, 40);
}

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}
