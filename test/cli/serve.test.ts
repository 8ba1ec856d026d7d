import { spawn } from "node:child_process";
import { expect, it } from "vitest";
import { tempHome } from "../support/cli.ts";

it("serves the API from `crucible serve` and stops cleanly on SIGTERM", async () => {
  const child = spawn(process.execPath, ["bin/crucible.js", "serve", "--port", "0"], {
    env: { ...process.env, CRUCIBLE_HOME: tempHome() },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = "";
    child.stderr.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${seen}`)));
  });
  expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true });
  expect(((await (await fetch(`${url}/openapi.json`)).json()) as { openapi: string }).openapi).toBe("3.1.0");
  expect((await fetch(`${url}/v1/me`)).status).toBe(401);
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  expect(await exited).toBe(0);
}, 60_000);
