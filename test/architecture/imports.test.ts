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

/** One import cycle of `graph` (file → files it imports) as the files along it, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string): string[] | null => {
    const at = path.indexOf(file);
    if (at >= 0) return [...path.slice(at), file];
    if (done.has(file)) return null;
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(file);
    return null;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return null;
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

  it("no two modules of queue, runs, runners or nano import each other, even through others", () => {
    const rooms = ["queue", "runs", "runners", "nano"];
    const graph = new Map(
      files
        .filter((f) => rooms.includes(f.room))
        .map((f) => [
          f.file,
          f.imports
            .filter((i) => i.room !== null && rooms.includes(i.room))
            .map((i) => relative(SRC, resolve(dirname(join(SRC, f.file)), i.spec))),
        ]),
    );
    const cycle = findCycle(graph);
    expect(cycle, `import cycle: ${cycle?.map((f) => `src/${f}`).join(" → ")}`).toBeNull();
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
