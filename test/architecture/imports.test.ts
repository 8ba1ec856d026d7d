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

describe("the dependency rule (STYLE.md §1)", () => {
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
