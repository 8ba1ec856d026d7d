// A process of its own, so that an unheard 'error' event shows as what it is in production: the
// process dies. Opens the store at argv[2] (schema argv[3]), has the server terminate the
// connection of a transaction in flight, then uses the store again. Prints one JSON line.
import { register } from "tsx/esm/api";

register();
const { openPostgres } = await import("../../../src/store/postgres.ts");
const [url, schema] = process.argv.slice(2);
const db = await openPostgres({ connectionString: url, schema, max: 2 });
const killer = await openPostgres({ connectionString: url, schema, max: 1 });
let failed = null;
try {
  await db.transaction(async (tx) => {
    const { rows } = await tx.query("SELECT pg_backend_pid() AS pid");
    await killer.query("SELECT pg_terminate_backend($1)", [rows[0].pid]);
    // the server's goodbye arrives while the transaction's client sits checked out
    await new Promise((resolve) => setTimeout(resolve, 300));
    await tx.query("SELECT 1");
  });
} catch (err) {
  failed = err.message;
}
const after = (await db.query("SELECT 1 AS ok")).rows[0].ok;
const again = (await db.transaction((tx) => tx.query("SELECT 2 AS ok"))).rows[0].ok;
await Promise.all([db.close(), killer.close()]);
console.log(JSON.stringify({ failed, after, again }));
