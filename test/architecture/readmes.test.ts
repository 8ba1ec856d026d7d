import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

/** Every folder under src/, relative to it (`data`, `data/scan/checks`, …). */
function folders(): string[] {
  return readdirSync(SRC, { recursive: true, withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => relative(SRC, join(e.parentPath, e.name)))
    .sort();
}

describe("every room says what it is for (a README: purpose, entry points, what it may import)", () => {
  const all = folders();

  it("every top-level room under src/ has a README.md", () => {
    const rooms = all.filter((f) => !f.includes("/"));
    expect(rooms.length).toBeGreaterThan(0);
    const missing = rooms.filter((room) => !existsSync(join(SRC, room, "README.md")));
    expect(missing, "rooms without src/<room>/README.md: write one, a few lines read from the code").toEqual(
      [],
    );
  });

  it("every subfolder has its own README.md, or the nearest README above it names it (`checks/`, `scan/checks/`)", () => {
    const uncovered: string[] = [];
    for (const folder of all.filter((f) => f.includes("/"))) {
      if (existsSync(join(SRC, folder, "README.md"))) continue;
      let above = dirname(folder);
      while (above !== "." && !existsSync(join(SRC, above, "README.md"))) above = dirname(above);
      const readme = above === "." ? "" : readFileSync(join(SRC, above, "README.md"), "utf8");
      if (!readme.includes(`${relative(above, folder)}/`)) uncovered.push(`src/${folder}`);
    }
    expect(uncovered, "folders no README covers: add one, or name the folder in its parent's").toEqual([]);
  });
});
