import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CrucibleError } from "../../core/errors.ts";

const DIGEST = /^sha256:([0-9a-f]{64})$/;

/**
 * Where dataset artifacts live: `<root>/datasets/sha256-<hex>.jsonl`, content-addressed, so two
 * versions (or datasets) with the same records share one file. The root is an option (the CLI
 * passes `<CRUCIBLE_HOME>/artifacts`); nothing here reads the environment.
 * @example const store = new ArtifactStore("/var/crucible/artifacts"); store.path("datasets/sha256-ab….jsonl")
 */
export class ArtifactStore {
  constructor(readonly root: string) {}

  /** The path, relative to the root, of the artifact with this digest. */
  relativePathFor(digest: string): string {
    const match = DIGEST.exec(digest);
    if (!match) throw new CrucibleError("internal", "not a sha256 digest", { value: digest });
    return `datasets/sha256-${match[1]}.jsonl`;
  }

  /** The absolute path of a stored artifact's relative path. */
  path(relative: string): string {
    return join(this.root, relative);
  }

  /** A fresh temporary path in the datasets directory (same file system, so rename is atomic). */
  tempPath(): string {
    const dir = join(this.root, "datasets");
    mkdirSync(dir, { recursive: true });
    return join(dir, `.tmp-${process.pid}-${randomBytes(8).toString("hex")}.jsonl`);
  }

  /** Moves a finished temporary file to its content address; returns the relative path. */
  commit(tempPath: string, digest: string): string {
    const relative = this.relativePathFor(digest);
    renameSync(tempPath, this.path(relative));
    return relative;
  }

  /** Removes a temporary file (after a failed read or a refused change). */
  discard(tempPath: string): void {
    rmSync(tempPath, { force: true });
  }
}
