import type { Command } from "commander";
import { CrucibleError } from "../../core/errors.ts";
import { probeTrainerPython } from "../../runners/trainer-python.ts";
import { isolationLine } from "../../runners/trainer-user.ts";
import { storeConfigFromEnv } from "../../store/open.ts";
import { auditTamperRights } from "../../store/privileges.ts";
import type { RunAction } from "../command.ts";
import { withDb } from "../session.ts";
import { trainerIsolationOf } from "../trainer-isolation.ts";
import { describeLocation } from "./store.ts";

interface Check {
  name: string;
  ok: boolean;
  /** Works, but not as safely as it could: shown as WARN, does not fail the doctor. */
  warn?: boolean;
  detail: string;
}

/** `crucible doctor`: checks that this machine can run Crucible, and says what to fix. */
export function registerDoctor(doctor: Command, run: RunAction): void {
  doctor.action(
    run(async (ctx) => {
      const { out, env } = ctx;
      const checks: Check[] = [];
      const major = Number(process.versions.node.split(".")[0]);
      checks.push({ name: "node", ok: major >= 20, detail: `${process.versions.node} (needs >= 20)` });

      const python = probeTrainerPython(env);
      checks.push({
        name: "trainer python",
        ok: python.ok,
        detail: python.ok
          ? `${python.python}: ${Object.entries(python.versions ?? {})
              .map(([k, v]) => `${k} ${v}`)
              .join(", ")}`
          : `${python.python}: ${python.problem}`,
      });

      checks.push(isolationCheck(env));

      const config = storeConfigFromEnv(env);
      try {
        const { version, tamper } = await withDb(ctx, async (db) => {
          const { rows } = await db.query<{ v: number }>("SELECT max(version) AS v FROM schema_migrations");
          return {
            version: rows[0]?.v ?? 0,
            tamper: db.kind === "postgres" ? await auditTamperRights(db) : null,
          };
        });
        checks.push({
          name: "store",
          ok: true,
          detail: `${config.kind} at ${describeLocation(config)}, schema v${version}`,
        });
        if (tamper?.length === 0)
          checks.push({
            name: "audit roles",
            ok: true,
            detail: "the application's role may only append to the audit log",
          });
        if (tamper && tamper.length > 0)
          checks.push({
            name: "audit roles",
            ok: true,
            warn: true,
            detail: `the application's role can rewrite the audit log (${tamper.join("; ")}): connect as a role that may only append (crucible store init-roles, docs/operations/postgres-roles.md)`,
          });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        checks.push({ name: "store", ok: false, detail: `${describeLocation(config)}: ${message}` });
      }

      const failed = checks.filter((c) => !c.ok);
      out.result({ ok: failed.length === 0, checks }, () =>
        checks
          .map((c) => `${c.ok ? (c.warn ? "WARN" : "ok  ") : "FAIL"}  ${c.name.padEnd(15)} ${c.detail}`)
          .join("\n"),
      );
      if (failed.length > 0) {
        throw new CrucibleError(
          "failed_precondition",
          `${failed.length} check(s) failed: ${failed.map((c) => c.name).join(", ")}`,
          {
            fix: "Fix what the failed checks say, then run `crucible doctor` again",
          },
        );
      }
    }),
  );
}

/** Whether a worker started here would run the trainer as its own user (CRUCIBLE_TRAINER_USER). */
function isolationCheck(env: NodeJS.ProcessEnv): Check {
  const name = "trainer isolation";
  try {
    const isolation = trainerIsolationOf(env);
    return { name, ok: true, warn: isolation.kind === "none", detail: isolationLine(isolation) };
  } catch (err) {
    return { name, ok: false, detail: err instanceof CrucibleError ? err.describe() : String(err) };
  }
}
