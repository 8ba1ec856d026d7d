#!/usr/bin/env node
// The `crucible` command. TypeScript sources run through tsx's loader, so a fresh `npm ci` is
// all a user needs before `npx crucible`.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
