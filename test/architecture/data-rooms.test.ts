import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

/** The src/ rooms (or `data/service`) each .ts file under `dir` imports, by file. */
function importsUnder(dir: string): { file: string; target: string }[] {
  const out: { file: string; target: string }[] = [];
  const files = readdirSync(join(SRC, dir), { recursive: true, encoding: "utf8" }).filter((f) =>
    f.endsWith(".ts"),
  );
  for (const file of files) {
    const path = join(SRC, dir, file);
    for (const m of readFileSync(path, "utf8").matchAll(/from "(\.[^"]+)"/g)) {
      const target = relative(SRC, resolve(path, "..", m[1]!));
      const room = target.startsWith("data/service/") ? "data/service" : target.split("/")[0]!;
      out.push({ file: `${dir}/${file}`, target: room });
    }
  }
  return out;
}

describe("dependency rule for the data rooms", () => {
  it("the intake library (src/data outside service/) imports only core: it stays store-independent", () => {
    const found = importsUnder("data").filter((i) => !i.file.startsWith("data/service/"));
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((i) => !["core", "data"].includes(i.target))).toEqual([]);
  });

  it("the dataset service imports the library, the governance rooms, lineage and the store, never cli or api", () => {
    const allowed = [
      "core",
      "data",
      "data/service",
      "store",
      "policy",
      "governed",
      "audit",
      "identity",
      "lineage",
    ];
    const found = importsUnder("data/service");
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((i) => !allowed.includes(i.target))).toEqual([]);
  });

  it("lineage imports only the store and core", () => {
    expect(importsUnder("lineage").filter((i) => !["core", "store", "lineage"].includes(i.target))).toEqual(
      [],
    );
  });
});
