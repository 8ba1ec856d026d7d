// A separate process appending audit entries, one transaction each: node --import tsx append-worker.ts URL SCHEMA N NAME
import { appendAudit } from "../../../src/audit/append.ts";
import { openPostgres } from "../../../src/store/postgres.ts";

const [url, schema, count, name] = process.argv.slice(2);
const db = await openPostgres({ connectionString: url!, schema: schema!, max: 2 });
try {
  for (let i = 0; i < Number(count); i++) {
    await db.transaction((tx) =>
      appendAudit(tx, {
        workspace: "ws_concurrent",
        actor: name!,
        action: "dataset.read",
        resource: `DatasetVersion::"${name}-${i}"`,
        decision: i % 3 === 0 ? "deny" : "allow",
        rules: ["steward.datasets"],
        payload: { i, name },
      }),
    );
  }
} finally {
  await db.close();
}
