import { PGlite } from "@electric-sql/pglite";

let t0 = Date.now();
const db = new PGlite();
await db.waitReady;
console.log("fresh", Date.now() - t0);
const dump = await db.dumpDataDir("none");
console.log("dump size", dump.size);
t0 = Date.now();
const db2 = new PGlite({ loadDataDir: dump });
await db2.waitReady;
console.log("from dump", Date.now() - t0);
t0 = Date.now();
const db3 = new PGlite({ loadDataDir: dump });
await db3.waitReady;
console.log("from dump 2", Date.now() - t0);
t0 = Date.now();
await db3.exec("create schema s1; set search_path to s1; create table a(x int)");
console.log("schema", Date.now() - t0);
