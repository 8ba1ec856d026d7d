import type { Registrar } from "./command.ts";

/** A top-level command: what `crucible --help` lists, and the module that fills it in. */
export interface TopCommand {
  name: string;
  description: string;
  /** Imports the command's module, and with it the packages it needs (PGlite, Cedar, hono, …). */
  load: () => Promise<Registrar>;
}

/**
 * Every top-level command, in the order `crucible --help` lists them. A command's module is
 * imported only when that command runs (or its help is asked for), so `crucible --help` and a
 * command that needs no store load none of the heavy packages.
 */
export const COMMANDS: readonly TopCommand[] = [
  {
    name: "init",
    description: "create the first workspace and its admin on an empty installation",
    load: async () => (await import("./commands/init.ts")).registerInit,
  },
  {
    name: "workspace",
    description: "workspaces: the unit of ownership and policy",
    load: async () => (await import("./commands/workspace.ts")).registerWorkspace,
  },
  {
    name: "principal",
    description: "users and service identities, and their roles",
    load: async () => (await import("./commands/principal.ts")).registerPrincipal,
  },
  {
    name: "token",
    description: "bearer tokens (crt_…): shown once, stored as SHA-256",
    load: async () => (await import("./commands/token.ts")).registerToken,
  },
  {
    name: "dataset",
    description: "datasets: intake, pre-screen, approval, revocation",
    load: async () => (await import("./commands/dataset.ts")).registerDataset,
  },
  {
    name: "canary",
    description: "planted canaries: every dataset scan of the workspace looks for them; listed masked",
    load: async () => (await import("./commands/canary.ts")).registerCanary,
  },
  {
    name: "base",
    description: "base checkpoints (pre | mid | post): only registered bases can start a run",
    load: async () => (await import("./commands/base.ts")).registerBase,
  },
  {
    name: "checkpoint",
    description: "checkpoints: bases and run outputs, verified on ingest, approved by a model approver",
    load: async () => (await import("./commands/checkpoint.ts")).registerCheckpoint,
  },
  {
    name: "generate",
    description:
      "complete prompts with a checkpoint (policy-checked and audited, the prompts never recorded); one prompt streams, --json or --out write JSON lines",
    load: async () => (await import("./commands/generate.ts")).registerGenerate,
  },
  {
    name: "chat",
    description:
      "talk to a checkpoint through its chat template, a turn per stdin line (/reset, /exit); audited once per session, the conversation never recorded",
    load: async () => (await import("./commands/chat.ts")).registerChat,
  },
  {
    name: "lineage",
    description: "what influenced what: datasets, runs, checkpoints, deployments",
    load: async () => (await import("./commands/lineage.ts")).registerLineage,
  },
  {
    name: "recipe",
    description: "recipes: check a recipe file offline, as `run start` checks it",
    load: async () => (await import("./commands/recipe.ts")).registerRecipe,
  },
  {
    name: "run",
    description: "training runs: start a recipe, follow, cancel",
    load: async () => (await import("./commands/run.ts")).registerRun,
  },
  {
    name: "audit",
    description: "the tamper-evident audit log",
    load: async () => (await import("./commands/audit.ts")).registerAudit,
  },
  {
    name: "policy",
    description: "the workspace's Cedar policy set: versioned, changed only with a second admin's approval",
    load: async () => (await import("./commands/policy.ts")).registerPolicy,
  },
  {
    name: "verify",
    description:
      "verify a checkpoint against its signed provenance: signature, builder and statement policy, every file rehashed; with the store, its approval entry and taint",
    load: async () => (await import("./commands/verify.ts")).registerVerify,
  },
  {
    name: "serve",
    description: "serve the HTTP API (OpenAPI at /openapi.json) until interrupted",
    load: async () => (await import("./commands/serve.ts")).registerServe,
  },
  {
    name: "worker",
    description:
      "lease jobs from the queue and run them until SIGTERM/SIGINT (or, with --drain, until none is ready)",
    load: async () => (await import("./commands/worker.ts")).registerWorker,
  },
  {
    name: "store",
    description: "the database: embedded PGlite or a PostgreSQL server",
    load: async () => (await import("./commands/store.ts")).registerStore,
  },
  {
    name: "protocol",
    description: "the JSON contracts between Crucible and its trainer",
    load: async () => (await import("./commands/protocol.ts")).registerProtocol,
  },
  {
    name: "demo",
    description:
      "run the demo story offline: bases, data gates, runs with and without replay, approval, revocation, audit",
    load: async () => (await import("./commands/demo.ts")).registerDemo,
  },
  {
    name: "doctor",
    description: "check Node.js, the trainer's Python environment and isolation, and the store",
    load: async () => (await import("./commands/doctor.ts")).registerDoctor,
  },
];

/** Global options that take a value: the word after them is that value, not a command. */
const VALUE_OPTIONS = new Set(["--as"]);

/**
 * The top-level command `argv` runs or asks help for (`crucible help run` asks for `run`), or
 * undefined when it names none of COMMANDS: then every command stays unloaded and commander
 * shows the list or suggests a name.
 * @example commandNamed(["--as", "root", "run", "list"]) // "run"
 */
export function commandNamed(argv: readonly string[]): string | undefined {
  const words = argv.filter((arg, i) => !arg.startsWith("-") && !VALUE_OPTIONS.has(argv[i - 1] ?? ""));
  const name = words[0] === "help" ? words[1] : words[0];
  return COMMANDS.some((c) => c.name === name) ? name : undefined;
}
