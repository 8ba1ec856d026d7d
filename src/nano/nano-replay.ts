import { join } from "node:path";
import type { ArtifactStore } from "../data/service/artifacts.ts";
import { addDataset, approveVersion } from "../data/service/index.ts";
import type { Purpose, VersionRow } from "../data/service/refs.ts";
import type { Principal } from "../policy/entities.ts";
import type { Db } from "../store/db.ts";

/**
 * nano's own training corpora, registered as datasets so a recipe can name them as replay: the
 * pre-training text keeps general knowledge during continued pre-training, the annealing text
 * (the Q/A, instructions and safety pairs written as plain text) keeps the answering habits the
 * cpt base (nano@mid) was annealed into, and the conversations (instructions and refusals
 * included) keep the assistant's behaviour during SFT.
 */
export const NANO_REPLAY = [
  { dataset: "nano-pre", corpus: "pre.jsonl", purpose: "cpt" },
  { dataset: "nano-mid", corpus: "mid.jsonl", purpose: "cpt" },
  { dataset: "nano-post", corpus: "post.jsonl", purpose: "sft" },
] as const satisfies readonly { dataset: string; corpus: string; purpose: Purpose }[];

/**
 * Adds a built nano family's replay corpora (`<familyDir>/corpora/pre.jsonl`, `mid.jsonl` and
 * `post.jsonl`) as `nano-pre`, `nano-mid` and `nano-post` through the dataset service, as
 * `engineer`, and has `steward` approve each for its purpose (nano-pre and nano-mid for cpt,
 * nano-post for sft): the same governed path as any customer dataset, so a run's replay is
 * scanned, digested, approved and traced like its domain data. Returns the approved versions, in NANO_REPLAY's order.
 * @example const [pre, mid, post] = await addNanoReplay(db, { workspace, engineer: eli, steward: dana, familyDir, artifacts });
 */
export async function addNanoReplay(
  db: Db,
  input: {
    workspace: string;
    engineer: Principal;
    steward: Principal;
    /** `<home>/bases/nano-<preset>`: the directory holding `pre/`, `mid/`, `post/`, `corpora/`. */
    familyDir: string;
    artifacts: ArtifactStore;
  },
): Promise<VersionRow[]> {
  const { workspace } = input;
  const versions: VersionRow[] = [];
  for (const replay of NANO_REPLAY) {
    const file = join(input.familyDir, "corpora", replay.corpus);
    const added = await addDataset(
      db,
      input.engineer,
      { workspace, name: replay.dataset, file },
      { artifacts: input.artifacts },
    );
    versions.push(
      await approveVersion(db, input.steward, {
        workspace,
        ref: { name: replay.dataset, version: added.version },
        purposes: [replay.purpose],
      }),
    );
  }
  return versions;
}
