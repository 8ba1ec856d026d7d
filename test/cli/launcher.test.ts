/**
 * bin/crucible.js runs the JavaScript that setup compiled into dist/ only while dist/ was built
 * from the sources as they are; otherwise the TypeScript sources, saying so. And a command loads
 * only what it needs.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { STAMP, sourceDigests } from "../../scripts/build-stamp.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A scratch checkout holding `paths` of this one (copied) and its node_modules (linked). */
function checkout(paths: string[]): string {
  const root = mkdtempSync(join(tmpdir(), "crucible-launcher-"));
  for (const path of paths) cpSync(join(ROOT, path), join(root, path), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(root, "node_modules"));
  return root;
}

/** Runs `node bin/crucible.js ...args` in `root`. */
function crucible(root: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [join(root, "bin/crucible.js"), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, ...env },
    encoding: "utf8",
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("bin/crucible.js", () => {
  it("runs dist/ when its stamp matches the sources, else the sources with one line on stderr naming what changed", () => {
    const root = checkout([
      "bin/crucible.js",
      "scripts/build-stamp.js",
      "package.json",
      "tsconfig.json",
      "tsconfig.build.json",
    ]);
    try {
      mkdirSync(join(root, "src/cli"), { recursive: true });
      mkdirSync(join(root, "dist/cli"), { recursive: true });
      const body = (from: string) =>
        `export async function main(argv) { process.stdout.write("${from} " + argv.join(" ")); return 4; }\n`;
      writeFileSync(join(root, "src/cli/main.ts"), body("sources").replace("(argv)", "(argv: string[])"));
      writeFileSync(join(root, "dist/cli/main.js"), body("dist"));
      writeFileSync(join(root, STAMP), JSON.stringify({ sources: sourceDigests(root) }));

      expect(crucible(root, ["run", "list"])).toEqual({ code: 4, stdout: "dist run list", stderr: "" });

      appendFileSync(join(root, "src/cli/main.ts"), "// edited after the build\n");
      const stale = crucible(root, ["run", "list"]);
      expect(stale.stdout).toBe("sources run list");
      expect(stale.code).toBe(4);
      expect(stale.stderr).toBe(
        "crucible: src/cli/main.ts changed since dist/ was built; running the TypeScript sources instead (slower): `bash scripts/setup-node.sh` rebuilds it\n",
      );

      writeFileSync(join(root, "src/cli/new.ts"), "export {};\n");
      writeFileSync(join(root, STAMP), JSON.stringify({ sources: sourceDigests(root) }));
      rmSync(join(root, "src/cli/new.ts"));
      expect(crucible(root, ["run"]).stderr).toContain("src/cli/new.ts was removed since dist/ was built");

      rmSync(join(root, "dist"), { recursive: true });
      const unbuilt = crucible(root, ["run"]);
      expect(unbuilt.stdout).toBe("sources run");
      expect(unbuilt.stderr).toContain("crucible: dist/ is not built; running the TypeScript sources");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("runs a dist/ built by setup that finds, beside itself, the migrations, the Cedar files, the protocol and the version; an edited source falls back", () => {
    const root = checkout([
      "bin",
      "scripts",
      "src",
      "protocol",
      "package.json",
      "tsconfig.json",
      "tsconfig.build.json",
    ]);
    try {
      execFileSync(process.execPath, ["scripts/build.js"], { cwd: root, stdio: "pipe" });
      expect(execFileSync(process.execPath, ["scripts/build.js"], { cwd: root, encoding: "utf8" })).toBe("");
      const home = { CRUCIBLE_HOME: join(root, "home") };

      const version = crucible(root, ["--version"]);
      expect(version, "the compiled CLI runs without a notice").toEqual({
        code: 0,
        stdout: "0.1.0\n",
        stderr: "",
      });
      const init = crucible(root, ["init", "--workspace", "acme", "--admin", "root"], home);
      expect(init.stderr).toBe("");
      expect(init.code).toBe(0);
      const list = crucible(root, ["run", "list", "--as", "root"], home);
      expect(list).toMatchObject({ code: 0, stdout: "no runs\n", stderr: "" });
      const schemas = crucible(root, ["protocol", "list", "--json"]);
      expect(schemas.code, schemas.stderr).toBe(0);
      expect(schemas.stdout).toContain("job-spec");

      appendFileSync(join(root, "src/core/ids.ts"), "// edited after the build\n");
      const stale = crucible(root, ["--version"]);
      expect(stale.stdout).toBe("0.1.0\n");
      expect(stale.stderr).toContain("crucible: src/core/ids.ts changed since dist/ was built");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("what a command loads", () => {
  /** The module URLs `crucible ...args` resolves, seen by a module hook in the child. */
  function resolved(args: string[], env: NodeJS.ProcessEnv = {}): string[] {
    const dir = mkdtempSync(join(tmpdir(), "crucible-loads-"));
    try {
      writeFileSync(
        join(dir, "hooks.mjs"),
        `import { writeSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const found = await next(specifier, context);
  writeSync(2, "resolved " + found.url + "\\n");
  return found;
}\n`,
      );
      writeFileSync(
        join(dir, "register.mjs"),
        `import { register } from "node:module";\nregister("./hooks.mjs", import.meta.url);\n`,
      );
      const result = spawnSync(
        process.execPath,
        ["--import", join(dir, "register.mjs"), "bin/crucible.js", ...args],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH, ...env },
          encoding: "utf8",
        },
      );
      expect(result.status, result.stderr).toBe(0);
      return [...result.stderr.matchAll(/^resolved (.+)$/gm)].map((m) => m[1]!);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const HEAVY = [
    "@electric-sql/pglite",
    "@cedar-policy",
    "/node_modules/pg/",
    "hono",
    "jose",
    "ajv",
    "yaml",
    "hyparquet",
  ];

  it("--help and --version load no command module and none of the packages", () => {
    for (const args of [["--help"], ["--version"]]) {
      const urls = resolved(args);
      expect(
        urls.filter((u) => u.includes("/cli/commands/")),
        args.join(" "),
      ).toEqual([]);
      expect(
        urls.filter((u) => HEAVY.some((p) => u.includes(p))),
        args.join(" "),
      ).toEqual([]);
    }
  });

  it("run list on the embedded store loads PGlite and Cedar, and neither pg, the HTTP server nor the JWT library", () => {
    const home = mkdtempSync(join(tmpdir(), "crucible-loads-home-"));
    try {
      expect(
        crucible(ROOT, ["init", "--workspace", "acme", "--admin", "root"], { CRUCIBLE_HOME: home }).code,
      ).toBe(0);
      const urls = resolved(["run", "list", "--as", "root"], { CRUCIBLE_HOME: home });
      const loaded = (p: string) => urls.some((u) => u.includes(p));
      expect(["@electric-sql/pglite", "@cedar-policy"].filter((p) => !loaded(p))).toEqual([]);
      expect(["/node_modules/pg/", "hono", "jose"].filter(loaded)).toEqual([]);
      expect(urls.filter((u) => /\/cli\/commands\/(?!run\.)/.test(u))).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
