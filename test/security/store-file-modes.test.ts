/**
 * Attack: another local user rewrites the embedded store (issue item 8). PGlite writes its data
 * files 0666 whatever the umask, so with the default `./.crucible` (created 0755) any user on the
 * machine could edit approvals or the audit log underneath Crucible. The embedded store only:
 * a PostgreSQL server keeps its own files.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { runCli } from "../support/cli.ts";

/**
 * Every path under `root` (itself included) that breaks the home's rule, with its mode: nothing
 * open to others, nothing writable by the group, and nothing under keys/ or db/ open to the group.
 */
function openToOthers(root: string): string[] {
  const found: string[] = [];
  const walk = (path: string, ownerOnly: boolean) => {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return;
    if ((stat.mode & (ownerOnly ? 0o077 : 0o027)) !== 0)
      found.push(`${path} ${(stat.mode & 0o777).toString(8)}`);
    if (stat.isDirectory())
      for (const name of readdirSync(path))
        walk(join(path, name), ownerOnly || (path === root && (name === "keys" || name === "db")));
  };
  walk(root, false);
  return found;
}

const freshHome = () =>
  join(tmpdir(), `crucible-modes-${process.pid}-${Math.random().toString(36).slice(2)}`);

it("a new embedded home is 0700, nothing in it is open to others or writable by its group, and the store and keys are the owner's alone (the PGlite data files included)", async () => {
  const home = freshHome(); // not created yet: the CLI creates it, as it does ./.crucible
  const init = await runCli(["init", "--workspace", "acme", "--admin", "root"], { CRUCIBLE_HOME: home });
  expect(init.code, init.stderr).toBe(0);
  expect(lstatSync(home).mode & 0o777).toBe(0o700);
  expect(readdirSync(join(home, "db")).length).toBeGreaterThan(0);
  expect(openToOthers(home)).toEqual([]);
});

it("an existing home left open (0777 directories, 0666 files) is tightened when the store opens", async () => {
  const home = freshHome();
  expect(
    (await runCli(["init", "--workspace", "acme", "--admin", "root"], { CRUCIBLE_HOME: home })).code,
  ).toBe(0);
  mkdirSync(join(home, "artifacts"), { recursive: true });
  writeFileSync(join(home, "artifacts", "left-open.jsonl"), "{}\n");
  const loosen = (path: string) => {
    const stat = lstatSync(path);
    chmodSync(path, stat.isDirectory() ? 0o777 : 0o666);
    if (stat.isDirectory()) for (const name of readdirSync(path)) loosen(join(path, name));
  };
  loosen(home);
  expect(openToOthers(home).length).toBeGreaterThan(100);
  const list = await runCli(["principal", "list", "--workspace", "acme", "--as", "root"], {
    CRUCIBLE_HOME: home,
  });
  expect(list.code, list.stderr).toBe(0);
  expect(openToOthers(home)).toEqual([]);
  // the group keeps read (a trainer given the home's group reads its data), never write
  expect(lstatSync(join(home, "artifacts", "left-open.jsonl")).mode & 0o777).toBe(0o640);
  expect(lstatSync(join(home, "db")).mode & 0o777).toBe(0o700);
});
