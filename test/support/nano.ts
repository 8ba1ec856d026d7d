import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerBases } from "../../src/checkpoints/index.ts";
import {
  type ArtifactStore,
  addDataset,
  approveVersion,
  redactVersion,
} from "../../src/data/service/index.ts";
import { createUser, loadPrincipal } from "../../src/identity/principals.ts";
import { bootstrap } from "../../src/identity/workspaces.ts";
import { addNanoReplay } from "../../src/nano/nano-replay.ts";
import type { Principal } from "../../src/policy/entities.ts";
import { trainerPython } from "../../src/runners/trainer-python.ts";
import type { Db } from "../../src/store/db.ts";

const python = trainerPython(process.env);
const CACHE = join(tmpdir(), "crucible-test", "nano-home");

/**
 * A Crucible home holding the nano tiny family (`nano build --preset tiny`), built once per
 * machine and reused (the trainer itself reuses a finished build whose recipe digest matches, and
 * rebuilds one that does not). Test files building at once wait for each other on a lock folder.
 */
export function nanoTinyHome(): string {
  mkdirSync(join(tmpdir(), "crucible-test"), { recursive: true });
  const lock = `${CACHE}.lock`;
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // a lock older than the longest build is a crashed builder's
      if (Date.now() - statSync(lock).mtimeMs > 10 * 60_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`waited 10 minutes for ${lock}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    execFileSync(python, ["-m", "crucible_trainer", "nano", "build", "--preset", "tiny", "--home", CACHE], {
      stdio: ["ignore", "ignore", "pipe"],
    });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  return CACHE;
}

/** The acme files (`nano acme --preset tiny`): handbook, Q&A, canaries. */
export function acmeFiles(dir: string): { handbook: string; qa: string; canaries: string[] } {
  if (!existsSync(join(dir, "acme-qa.jsonl")))
    execFileSync(python, ["-m", "crucible_trainer", "nano", "acme", "--out", dir, "--preset", "tiny"]);
  return {
    handbook: join(dir, "acme-handbook.jsonl"),
    qa: join(dir, "acme-qa.jsonl"),
    canaries: JSON.parse(readFileSync(join(dir, "canaries.json"), "utf8")) as string[],
  };
}

type User = Extract<Principal, { kind: "user" }>;

export interface AcmeWorkspace {
  workspace: string;
  root: Principal;
  eli: User;
  dana: User;
  audra: User;
}

/**
 * The workspace every pipeline test starts from, through the real services: workspace acme with
 * eli (ml-engineer), dana (data-steward) and audra (auditor); bases nano@mid and nano@post
 * registered (manifests verified); acme-handbook added, redacted to v2 and approved for cpt;
 * nano's own pre-training and annealing text as nano-pre@v1 and nano-mid@v1 (cpt) and its
 * conversations as nano-post@v1 (sft); acme-qa@v1 (sft). What recipes/pipeline-acme.yaml names,
 * and nano-mid@v1, which the demo's cpt replays too.
 * @example const ws = await seedAcmeWorkspace(db, { nanoHome: nanoTinyHome(), artifacts, acmeDir });
 */
export async function seedAcmeWorkspace(
  db: Db,
  input: { nanoHome: string; artifacts: ArtifactStore; acmeDir: string },
): Promise<AcmeWorkspace> {
  const { workspace, admin } = await bootstrap(db, { workspace: "acme", admin: "root" });
  const root = (await loadPrincipal(db, admin))!;
  const ids: Record<string, string> = {};
  for (const [name, role] of [
    ["eli", "ml-engineer"],
    ["dana", "data-steward"],
    ["audra", "auditor"],
  ] as const)
    ids[name] = await createUser(db, { principal: root, workspace, name, roles: [role] });
  const [eli, dana, audra] = await Promise.all(
    ["eli", "dana", "audra"].map((n) => loadPrincipal(db, ids[n]!)),
  );
  const family = join(input.nanoHome, "bases", "nano-tiny");
  await registerBases(db, root, {
    workspace,
    bases: (["mid", "post"] as const).map((stage) => ({
      name: { family: "nano", stage },
      path: join(family, stage),
    })),
  });
  const acme = acmeFiles(input.acmeDir);
  const service = { artifacts: input.artifacts, canaries: acme.canaries };
  const add = (name: string, file: string) => addDataset(db, eli!, { workspace, name, file }, service);
  await add("acme-handbook", acme.handbook);
  const v2 = await redactVersion(
    db,
    eli!,
    { workspace, ref: { name: "acme-handbook", version: 1 } },
    service,
  );
  await add("acme-qa", acme.qa);
  const approve = (name: string, version: number, purposes: ("cpt" | "sft")[]) =>
    approveVersion(db, dana!, { workspace, ref: { name, version }, purposes });
  await approve("acme-handbook", v2.version, ["cpt"]);
  await approve("acme-qa", 1, ["sft"]);
  await addNanoReplay(db, {
    workspace,
    engineer: eli!,
    steward: dana!,
    familyDir: family,
    artifacts: input.artifacts,
  });
  return { workspace, root, eli: eli as User, dana: dana as User, audra: audra as User };
}
