import type { Principal } from "../../policy/entities.ts";
import type { Db } from "../../store/db.ts";
import { authorizeBaseRegistration, registerBases } from "../bases.ts";
import { type BaseName, baseNameText } from "../names.ts";
import type { CheckpointRow } from "../rows.ts";
import { type StoredBase, storeHfBase } from "./store.ts";

/**
 * `crucible base add NAME@STAGE DIR` for a Hugging Face model directory: `base.register` is
 * checked (and audited) first, so a caller who may not register copies nothing; the model is then
 * inspected, copied into `<home>/bases/imported/` with the manifest Crucible writes for it
 * (storeHfBase), and registered through registerBases, which verifies the stored copy again.
 * @example const { row, stored } = await addHfBase(db, eli, { workspace, home, dir: "./qwen2-0.5b", name: { family: "qwen2", stage: "post" } });
 */
export async function addHfBase(
  db: Db,
  caller: Principal,
  input: { workspace: string; home: string; dir: string; name: BaseName; allowPickle?: boolean },
): Promise<{ row: CheckpointRow; stored: StoredBase }> {
  const allowPickle = input.allowPickle ?? false;
  await authorizeBaseRegistration(db, caller, input.workspace, {
    import: "huggingface",
    name: baseNameText(input.name),
    dir: input.dir,
    allow_pickle: allowPickle,
  });
  const stored = await storeHfBase({ home: input.home, dir: input.dir, name: input.name, allowPickle });
  const [row] = await registerBases(db, caller, {
    workspace: input.workspace,
    bases: [{ name: input.name, path: stored.path, manifestDigest: stored.manifestDigest }],
  });
  return { row: row!, stored };
}
