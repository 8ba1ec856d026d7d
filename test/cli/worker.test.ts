import { expect, it } from "vitest";
import { runCli, tempHome } from "../support/cli.ts";

it("crucible worker refuses bad flags with exit 2, the flag named, and one JSON document", async () => {
  const home = tempHome();
  for (const [flag, value] of [
    ["--lease-seconds", "0"],
    ["--lease-seconds", "soon"],
    ["--poll-ms", "-5"],
  ] as const) {
    const result = await runCli(["worker", "--drain", flag, value, "--json"], { CRUCIBLE_HOME: home });
    expect(result.code).toBe(2);
    expect(result.json()).toMatchObject({ error: { code: "invalid_argument", field: flag, value } });
  }
  const empty = await runCli(["worker", "--owner", " ", "--json"], { CRUCIBLE_HOME: home });
  expect(empty.code).toBe(2);
  expect(empty.json()).toMatchObject({ error: { field: "--owner" } });
});
