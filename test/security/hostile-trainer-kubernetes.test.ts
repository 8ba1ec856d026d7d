/**
 * The hostile trainer on Kubernetes: the shared volume is mounted at the same path as on the
 * control plane, with CRUCIBLE_HOME on it, so the home's signing key (keys/) and embedded store
 * (db/) lie on that volume. A trainer pod must see only its base, its data and its output
 * directory, never the database's credentials, and run as a non-root user.
 */
import { describe, expect, it } from "vitest";
import type { JobSpec } from "../../src/protocol/types/job-spec.gen.ts";
import { PRIVATE_KEY_FILE } from "../../src/provenance/signing-key.ts";
import {
  type KubernetesInput,
  type PyTorchJob,
  renderKubernetesManifests,
} from "../../src/runners/kubernetes.ts";
import { TRAINER_ENV_ALLOWLIST } from "../../src/runners/trainer-env.ts";

const HOME = "/crucible";
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const spec = {
  protocol_version: 1,
  run_id: "run_01JD",
  stage: "cpt",
  base: { path: `${HOME}/bases/nano-tiny/mid`, digest: digest("a") },
  data: {
    sources: [
      {
        name: "acme",
        path: `${HOME}/artifacts/datasets/sha256-b.jsonl`,
        digest: digest("b"),
        share: 0.3,
        format: "text",
      },
      {
        name: "replay",
        path: `${HOME}/artifacts/datasets/sha256-c.jsonl`,
        digest: digest("c"),
        share: 0.7,
        format: "text",
      },
    ],
  },
  hyperparameters: {
    lr: 3e-4,
    budget: { steps: 100 },
    batch_size: 8,
    seq_len: 128,
    adapter: { kind: "full" },
  },
  seed: 1,
  checkpoint: { every_steps: 50 },
  output_dir: `${HOME}/runs/run_01JD/0-cpt`,
  runtime: { device: "auto" },
} as JobSpec;
const input = (over: Partial<KubernetesInput> = {}): KubernetesInput => ({
  spec,
  runId: "run_01JD",
  workspace: "ws_acme",
  image: "registry.example.com/crucible-trainer:0.1",
  mountPath: HOME,
  ...over,
});

const variants: [string, KubernetesInput][] = [
  ["one pod", input()],
  ["torchrun on two GPUs", input({ gpu: 2 })],
  ["a PyTorchJob of two nodes", input({ nodes: 2 })],
  ["a token from a Secret", input({ workloadToken: { kind: "secret", secretName: "run-token" } })],
];

type PodSpec = NonNullable<
  NonNullable<PyTorchJob["spec"]["pytorchReplicaSpecs"]["Master"]["template"]>["spec"]
>;
function podsOf(manifests: unknown[]): PodSpec[] {
  return manifests.flatMap((m) => {
    const kind = (m as { kind: string }).kind;
    if (kind === "Job") return [(m as { spec: { template: { spec: PodSpec } } }).spec.template.spec];
    if (kind === "PyTorchJob")
      return Object.values((m as PyTorchJob).spec.pytorchReplicaSpecs).map((r) => r.template.spec!);
    return [];
  });
}

describe("a trainer pod", () => {
  it.each(variants)(
    "(%s) mounts only its base, data and output directory of the home's volume, as non-root, with no database URL",
    (_, variant) => {
      const manifests = renderKubernetesManifests(variant);
      const text = JSON.stringify(manifests);
      expect(text).not.toContain("DATABASE_URL");
      expect(text).not.toContain(PRIVATE_KEY_FILE);
      const pods = podsOf(manifests);
      expect(pods.length).toBeGreaterThan(0);
      for (const pod of pods) {
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
        expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
        expect(pod.volumes?.some((v) => v.hostPath !== undefined)).toBe(false);
        for (const container of pod.containers) {
          expect(container.securityContext).toMatchObject({
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
          });
          const allowed = new Set<string>([
            ...TRAINER_ENV_ALLOWLIST,
            "CRUCIBLE_WORKLOAD_TOKEN",
            "CRUCIBLE_WORKLOAD_TOKEN_FILE",
          ]);
          expect((container.env ?? []).map((e) => e.name).filter((n) => !allowed.has(n))).toEqual([]);
          const home = (container.volumeMounts ?? []).filter((m) => m.name === "data");
          expect(home.map((m) => [m.mountPath, m.subPath, m.readOnly ?? false])).toEqual([
            [spec.base.path, "bases/nano-tiny/mid", true],
            [spec.data.sources[0]!.path, "artifacts/datasets/sha256-b.jsonl", true],
            [spec.data.sources[1]!.path, "artifacts/datasets/sha256-c.jsonl", true],
            [spec.output_dir, "runs/run_01JD/0-cpt", false],
          ]);
        }
      }
    },
  );

  it("is never rendered for a spec that points into the home's keys or store", () => {
    for (const [path, top] of [
      [`${HOME}/keys/provenance`, "keys"],
      [`${HOME}/db/base`, "db"],
    ] as const) {
      const bad = { ...spec, base: { ...spec.base, path } } as JobSpec;
      expect(() => renderKubernetesManifests(input({ spec: bad }))).toThrow(
        expect.objectContaining({
          details: expect.objectContaining({ field: "spec.base.path", value: path }),
        }),
      );
      expect(() => renderKubernetesManifests(input({ spec: bad }))).toThrow(
        new RegExp(`never mounts ${HOME}/${top}`),
      );
    }
  });
});
