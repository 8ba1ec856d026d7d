import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertTrainerCanRead } from "../../../src/runners/trainer-dirs.ts";
import { REPO_ROOT, trainerPython } from "../../../src/runners/trainer-python.ts";
import type { TrainerUser } from "../../../src/runners/trainer-user.ts";

/** The user the isolated trainer runs as in these tests: `nobody`, which every Linux has. */
export const TRAINER: TrainerUser = { uid: 65534, gid: 65534, name: "65534:65534" };

/** Whether this test process can switch users (the drop tests need root). */
export const AS_ROOT = process.getuid?.() === 0;

/**
 * Why the tests that run the trainer as TRAINER cannot run here, or undefined when they can:
 * they need root, and a checkout (its code and its .venv) that TRAINER can reach. A clone
 * under a directory closed to other users (`mktemp -d` makes them 0700) is refused by the
 * runner itself, with the chmod that would open it; the tests do not change directories
 * outside the checkout to get past that.
 */
export const DROP_BLOCKER: string | undefined = dropBlocker();

function dropBlocker(): string | undefined {
  if (!AS_ROOT) return "switching to the trainer's user needs root";
  try {
    assertTrainerCanRead([REPO_ROOT, join(REPO_ROOT, ".venv", "pyvenv.cfg")], TRAINER);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
if (DROP_BLOCKER)
  process.stderr.write(
    `\n!! the trainer-user tests of test/security are SKIPPED: ${DROP_BLOCKER}\n` +
      "!! the allowlist and no-isolation tests still run; run the suite from a checkout others can reach\n\n",
  );

/**
 * A directory every user can pass and read (mkdtemp makes 0700 ones, closed to the trainer).
 * @example const home = openTempDir("crucible-hostile-");
 */
export function openTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * A Python with the trainer installed that TRAINER can run: the project's own where TRAINER can
 * reach it. Where it cannot (pyenv keeps interpreters under /root, 0700), a venv of a system
 * interpreter of the same minor version that sees the project venv's packages through a .pth
 * line, made once per machine.
 * @example const python = isolatedPython();
 */
export function isolatedPython(): string {
  const project = trainerPython(process.env);
  try {
    assertTrainerCanRead([project], TRAINER);
    return project;
  } catch {
    // the project's interpreter lies under a directory closed to TRAINER: build the stand-in
  }
  const version = execFileSync(
    project,
    ["-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"],
    {
      encoding: "utf8",
    },
  ).trim();
  const system = `/usr/bin/python${version}`;
  if (!existsSync(system))
    throw new Error(
      `no ${system}: the trainer's user cannot run ${project}, and no system Python ${version} exists`,
    );
  const venv = join(tmpdir(), `crucible-test-isolated-python-${version}`);
  const python = join(venv, "bin", "python");
  if (!existsSync(python)) {
    mkdirSync(tmpdir(), { recursive: true });
    execFileSync(system, ["-m", "venv", "--without-pip", venv]);
    const packages = realpathSync(join(REPO_ROOT, ".venv", "lib", `python${version}`, "site-packages"));
    writeFileSync(
      join(venv, "lib", `python${version}`, "site-packages", "crucible-project.pth"),
      `import site; site.addsitedir(${JSON.stringify(packages)})\n`,
    );
    execFileSync("chmod", ["-R", "o+rX", venv]);
  }
  return python;
}
