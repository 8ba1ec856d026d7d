import { readOnlyPass } from "../pipeline.ts";

for (let i = 0; i < 3; i++) {
  const t0 = process.cpuUsage();
  await readOnlyPass("/tmp/c20.jsonl");
  const u = process.cpuUsage(t0);
  console.log("read cpu", ((u.user + u.system) / 1000).toFixed(0), "ms");
}
