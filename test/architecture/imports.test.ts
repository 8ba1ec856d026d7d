import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

/** Every .ts file under src/ with the src/ rooms (first path segment) it imports from. */
function importsByFile(): { file: string; room: string; imports: { spec: string; room: string | null }[] }[] {
  const files = readdirSync(SRC, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  return files.map((file) => {
    const text = readFileSync(join(SRC, file), "utf8");
    const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map((m) => m[1]!);
    const imports = specs.map((spec) => {
      if (!spec.startsWith(".")) return { spec, room: null };
      const target = relative(SRC, resolve(dirname(join(SRC, file)), spec));
      return { spec, room: target.startsWith("..") ? "outside" : target.split("/")[0]! };
    });
    return { file, room: file.split("/")[0]!, imports };
  });
}

/** Every relative import of `room`'s files stays in the room or in one of `allowed`. */
function expectOnly(files: ReturnType<typeof importsByFile>, room: string, allowed: string[]): void {
  const found = files.filter((f) => f.room === room);
  expect(found.length, `no files under src/${room}/`).toBeGreaterThan(0);
  for (const { file, imports } of found)
    for (const imp of imports.filter((i) => i.room !== null))
      expect([room, ...allowed], `src/${file} imports ${imp.spec}`).toContain(imp.room);
}

/**
 * The import cycles of `graph` (file → files it imports): at least one per group of files that
 * reach each other, each as the files along it, first file repeated at the end.
 */
function findCycles(graph: Map<string, string[]>): string[][] {
  const done = new Set<string>();
  const path: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    const at = path.indexOf(file);
    if (at >= 0) {
      cycles.push([...path.slice(at), file]);
      return;
    }
    if (done.has(file)) return;
    path.push(file);
    for (const next of graph.get(file) ?? []) visit(next);
    path.pop();
    done.add(file);
  };
  for (const file of graph.keys()) visit(file);
  return cycles;
}

describe("the dependency rule (docs/design/STYLE.md §1)", () => {
  const files = importsByFile();

  it("core imports nothing of ours outside core, and no package but node builtins", () => {
    for (const { file, room, imports } of files.filter((f) => f.room === "core")) {
      for (const imp of imports) {
        const ok = imp.room === room || imp.spec.startsWith("node:");
        expect(ok, `src/${file} imports ${imp.spec}`).toBe(true);
      }
    }
  });

  it("nothing outside cli imports cli, and nothing but cli imports api", () => {
    for (const { file, room, imports } of files) {
      for (const imp of imports) {
        if (imp.room === "cli") expect(room, `src/${file} imports ${imp.spec}`).toBe("cli");
        if (imp.room === "api") expect(["api", "cli"], `src/${file} imports ${imp.spec}`).toContain(room);
      }
    }
  });

  it("services never import a front end, and the runtime (the composition root) is imported only by cli and demo", () => {
    const frontEnds = ["cli", "api"];
    for (const { file, room, imports } of files.filter((f) => !frontEnds.includes(f.room))) {
      for (const imp of imports) {
        expect(frontEnds, `src/${file} imports ${imp.spec}`).not.toContain(imp.room);
        if (imp.room === "runtime")
          expect(["runtime", "demo"], `src/${file} imports ${imp.spec}`).toContain(room);
      }
    }
    for (const { file, imports } of files.filter((f) => f.room === "api"))
      for (const imp of imports) expect(imp.room, `src/${file} imports ${imp.spec}`).not.toBe("runtime");
  });

  it("no source file reaches outside src/ except for protocol schemas and migrations on disk", () => {
    for (const { file, imports } of files) {
      for (const imp of imports) expect(imp.room, `src/${file} imports ${imp.spec}`).not.toBe("outside");
    }
  });

  it("nothing in src/ names a path under test/: test support (the labelled scan corpus) does not ship", () => {
    const TEST = fileURLToPath(new URL("../../test/", import.meta.url));
    const found: string[] = [];
    for (const { file } of files) {
      const text = readFileSync(join(SRC, file), "utf8");
      for (const m of text.matchAll(/["'`](\.{1,2}\/[^"'`]+)["'`]/g))
        if (resolve(dirname(join(SRC, file)), m[1]!).startsWith(TEST)) found.push(`src/${file}: ${m[1]}`);
    }
    expect(found).toEqual([]);
  });

  it("policy is Cedar alone: it imports neither the store, the audit log nor the funnel (governed)", () => {
    const found = files.filter((f) => f.room === "policy");
    expect(found.length).toBeGreaterThan(0);
    for (const { file, imports } of found)
      for (const imp of imports)
        expect(["store", "audit", "governed"], `src/${file} imports ${imp.spec}`).not.toContain(imp.room);
  });

  it("CLI commands take their shared types from cli/command.ts, never from cli/main.ts (which imports them)", () => {
    const found = files.filter((f) => f.file.startsWith("cli/commands/"));
    expect(found.length).toBeGreaterThan(0);
    for (const { file, imports } of found)
      for (const imp of imports)
        expect(resolve(dirname(join(SRC, file)), imp.spec), `src/${file} imports ${imp.spec}`).not.toBe(
          join(SRC, "cli/main.ts"),
        );
  });

  it("the queue imports no run logic: only core and the store (it leases jobs; what a job does is its handler's)", () => {
    expectOnly(files, "queue", ["core", "store"]);
  });

  it("runners import no run logic: only core and protocol (a runner gets a JobSpec and runs the trainer)", () => {
    expectOnly(files, "runners", ["core", "protocol"]);
  });

  it("nothing in the queue, runs or runners imports nano (nano builds on runs, not the other way)", () => {
    for (const { file, room, imports } of files.filter((f) => ["queue", "runs", "runners"].includes(f.room)))
      for (const imp of imports)
        expect(imp.room, `src/${file} (${room}) imports ${imp.spec}`).not.toBe("nano");
  });

  it("no two files in src/ import each other, even through others (type-only imports count)", () => {
    // A type-only import makes no runtime cycle, but two files that need each other hold one idea:
    // move the shared piece to a small module both import (e.g. identity/token-row.ts).
    const graph = new Map(
      files.map((f) => [
        f.file,
        f.imports
          .filter((i) => i.room !== null)
          .map((i) => relative(SRC, resolve(dirname(join(SRC, f.file)), i.spec))),
      ]),
    );
    const cycles = findCycles(graph).map((c) => c.map((f) => `src/${f}`).join(" → "));
    expect(cycles, "import cycles").toEqual([]);
  });

  it("the checkpoint registry imports only the governance rooms, lineage, protocol and the store", () => {
    const allowed = [
      "core",
      "store",
      "audit",
      "policy",
      "governed",
      "provenance",
      "lineage",
      "protocol",
      "identity",
      "checkpoints",
    ];
    const found = files.filter((f) => f.room === "checkpoints");
    expect(found.length).toBeGreaterThan(0);
    for (const { file, imports } of found)
      for (const imp of imports.filter((i) => i.room !== null))
        expect(allowed, `src/${file} imports ${imp.spec}`).toContain(imp.room);
  });
});
