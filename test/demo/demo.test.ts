import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);

it("runs `crucible demo --fast` end to end through the real binary, trainer and store", async () => {
  const home = mkdtempSync(join(tmpdir(), "crucible-demo-"));
  const { stdout, stderr } = await run(process.execPath, ["bin/crucible.js", "demo", "--fast", "--json"], {
    env: { ...process.env, CRUCIBLE_HOME: home },
    maxBuffer: 64 * 1024 * 1024,
  });
  const summary = JSON.parse(stdout);
  expect(summary.ok, stderr).toBe(true);
  expect(existsSync(join(summary.workdir, "summary.json"))).toBe(true);
  expect(JSON.parse(readFileSync(join(summary.workdir, "summary.json"), "utf8"))).toEqual(summary);
  // the pre-screen found the planted PII, secrets and canaries, and redaction removed them all
  expect(summary.data.findings).toMatchObject({
    email: expect.any(Number),
    aws_access_key_id: expect.any(Number),
    canary: expect.any(Number),
  });
  expect(summary.data.rescan_findings).toBe(0);
  // the 30/70 mix holds on the tokens the CPT run actually trained on
  const cpt = summary.runs.cpt.tokens_by_source;
  const share = cpt["acme-handbook"] / (cpt["acme-handbook"] + cpt.replay);
  expect(Math.abs(share - 0.3)).toBeLessThan(0.05);
  expect(summary.runs.sft.tokens_by_source["acme-qa"]).toBeGreaterThan(0);
  expect(summary.audit).toMatchObject({ verified: true });
  expect(summary.audit.entries).toBeGreaterThan(5);
  expect(stderr).toContain("demo-cpt: step");
}, 600_000);
