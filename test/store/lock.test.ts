import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CrucibleError } from "../../src/core/errors.ts";
import { lockDirectory } from "../../src/store/lock.ts";
import { openStore } from "../../src/store/open.ts";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

/** A second process that takes the lock, says so, and holds it until killed. */
function holdLockInChild(home: string): Promise<ChildProcess> {
  const script = `
    import { lockDirectory } from ${JSON.stringify(new URL("../../src/store/lock.ts", import.meta.url).href)};
    lockDirectory(process.argv[1], "crucible serve");
    process.stdout.write("held\\n");
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, home], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout?.once("data", () => resolve(child));
    child.once("exit", (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
}

describe("embedded store lock", () => {
  it("refuses a second process and names the one holding the store", async () => {
    const home = mkdtempSync(join(tmpdir(), "crucible-lock-"));
    const holder = await holdLockInChild(home);
    let error: unknown;
    try {
      lockDirectory(home);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CrucibleError);
    const message = (error as CrucibleError).describe();
    expect(message).toContain(`process ${holder.pid}`);
    expect(message).toContain("crucible serve");
    expect(message).toContain("DATABASE_URL");
    expect((error as CrucibleError).code).toBe("failed_precondition");
  });

  it("takes over the lock of a process that was killed", async () => {
    const home = mkdtempSync(join(tmpdir(), "crucible-lock-"));
    const holder = await holdLockInChild(home);
    const exited = new Promise((resolve) => holder.once("exit", resolve));
    holder.kill("SIGKILL");
    await exited;
    const lock = lockDirectory(home);
    expect(existsSync(lock.path)).toBe(true);
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
  });

  it("opens, closes and reopens an embedded store, keeping its data and releasing the lock", async () => {
    const home = mkdtempSync(join(tmpdir(), "crucible-home-"));
    const first = await openStore({ kind: "pglite", home });
    // the migration writes the installation's id once; it must survive a reopen unchanged
    const written = (await first.query<{ id: string }>("SELECT id FROM installation")).rows;
    expect(written).toEqual([{ id: expect.stringMatching(/^inst_[0-9a-f]{32}$/) }]);
    await expect(openStore({ kind: "pglite", home })).rejects.toThrow(/in use by process/);
    await first.close();
    const second = await openStore({ kind: "pglite", home });
    const { rows } = await second.query<{ id: string }>("SELECT id FROM installation");
    expect(rows).toEqual(written);
    await second.close();
  });
});
