import { readFileSync } from "node:fs";
import { canonicalTextLine } from "../../../src/data/read/canonical-line.ts";
import { canonicalRecordLine } from "../../../src/data/read/digest.ts";
const lines = readFileSync("/tmp/c20.jsonl", "utf8").split("\n").filter(Boolean);
const recs = lines.map((l) => JSON.parse(l));
function cpu(name: string, f: () => number) { let best = 1e9, r = 0; for (let k = 0; k < 7; k++) { const t = process.cpuUsage(); r = f(); const u = process.cpuUsage(t); best = Math.min(best, (u.user + u.system) / 1000); } console.log(name.padEnd(12), best.toFixed(0), "ms", r); }
cpu("stringify", () => { let n = 0; for (const r of recs) if (r.text !== undefined) n += canonicalRecordLine({ text: r.text }).length; return n; });
cpu("fast", () => { let n = 0; for (let i = 0; i < lines.length; i++) if (recs[i].text !== undefined) n += (canonicalTextLine(lines[i]!) ?? canonicalRecordLine({ text: recs[i].text })).length; return n; });
