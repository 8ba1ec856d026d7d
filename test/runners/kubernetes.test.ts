import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import { Job } from "kubernetes-models/batch/v1";
import { ConfigMap, PodTemplateSpec } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import type { JobSpec } from "../../src/protocol/types/job-spec.gen.ts";
import {
  type KubernetesInput,
  kubernetesDryRun,
  type PyTorchJob,
  renderKubernetesManifests,
  resourceName,
} from "../../src/runners/kubernetes.ts";

/**
 * Core and batch objects are checked with kubernetes-models, whose validators are generated from
 * the official Kubernetes OpenAPI document. No npm package ships the Kubeflow training-operator
 * CRD, so a PyTorchJob's pod templates are checked as core/v1 PodTemplateSpec and its envelope
 * against the schema below, written from the kubeflow.org/v1 CRD (release-1.9) and the
 * operator's admission rules: name a DNS-1035 label, a container named "pytorch", one Master.
 */
const replica = {
  type: "object",
  required: ["replicas", "template"],
  additionalProperties: false,
  properties: {
    replicas: { type: "integer", minimum: 1 },
    restartPolicy: { enum: ["Always", "OnFailure", "Never", "ExitCode"] },
    template: {
      type: "object",
      required: ["spec"],
      properties: {
        spec: {
          type: "object",
          properties: {
            containers: {
              type: "array",
              contains: { type: "object", properties: { name: { const: "pytorch" } }, required: ["name"] },
            },
          },
        },
      },
    },
  },
};
const pytorchJobEnvelope = {
  type: "object",
  required: ["apiVersion", "kind", "metadata", "spec"],
  properties: {
    apiVersion: { const: "kubeflow.org/v1" },
    kind: { const: "PyTorchJob" },
    metadata: {
      type: "object",
      required: ["name"],
      properties: { name: { type: "string", pattern: "^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$" } },
    },
    spec: {
      type: "object",
      required: ["pytorchReplicaSpecs"],
      additionalProperties: false,
      properties: {
        nprocPerNode: { type: "string" },
        elasticPolicy: { type: "object" },
        runPolicy: {
          type: "object",
          additionalProperties: false,
          properties: {
            activeDeadlineSeconds: { type: "integer", minimum: 0 },
            backoffLimit: { type: "integer", minimum: 0 },
            cleanPodPolicy: { enum: ["All", "Running", "None"] },
            managedBy: { type: "string" },
            schedulingPolicy: { type: "object" },
            suspend: { type: "boolean" },
            ttlSecondsAfterFinished: { type: "integer", minimum: 0 },
          },
        },
        pytorchReplicaSpecs: {
          type: "object",
          required: ["Master"],
          additionalProperties: false,
          properties: {
            Master: { ...replica, properties: { ...replica.properties, replicas: { const: 1 } } },
            Worker: replica,
          },
        },
      },
    },
  },
};
const checkEnvelope = new Ajv2020({ allErrors: true, strict: true }).compile(pytorchJobEnvelope);

/** Every manifest against its schema; throws with the validator's message on the first fault. */
function validateManifests(manifests: readonly unknown[]): void {
  for (const manifest of manifests) {
    const m = manifest as { kind: string };
    if (m.kind === "ConfigMap") new ConfigMap(manifest as never).validate();
    else if (m.kind === "Job") new Job(manifest as never).validate();
    else if (m.kind === "PyTorchJob") {
      if (!checkEnvelope(manifest)) throw new Error(JSON.stringify(checkEnvelope.errors));
      for (const r of Object.values((manifest as unknown as PyTorchJob).spec.pytorchReplicaSpecs))
        new PodTemplateSpec(r.template).validate();
    } else throw new Error(`unexpected kind ${m.kind}`);
  }
}

const digest = (c: string) => `sha256:${c.repeat(64)}`;
function spec(overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    protocol_version: 1,
    run_id: "run_01JD-cpt",
    stage: "cpt",
    base: { path: "/crucible/bases/nano-tiny/mid", digest: digest("a") },
    data: {
      sources: [
        { name: "acme", path: "/crucible/data/acme.jsonl", digest: digest("b"), share: 0.3, format: "text" },
        { name: "replay", path: "/crucible/data/pre.jsonl", digest: digest("c"), share: 0.7, format: "text" },
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
    output_dir: "/crucible/runs/run_01JD/cpt",
    runtime: { device: "auto" },
    ...overrides,
  } as JobSpec;
}
const input = (over: Partial<KubernetesInput> = {}): KubernetesInput => ({
  spec: spec(),
  runId: "run_01JD",
  workspace: "ws_acme",
  image: "registry.example.com/crucible-trainer:0.1",
  ...over,
});
type PodSpec = NonNullable<PodTemplateSpec["spec"]>;
const podOf = (m: unknown): PodSpec => (m as Job).spec!.template.spec!;

describe("renderKubernetesManifests", () => {
  it("renders a ConfigMap and a one-pod Job that the official Kubernetes schema accepts", () => {
    const manifests = renderKubernetesManifests(input());
    expect(manifests.map((m) => m.kind)).toEqual(["ConfigMap", "Job"]);
    validateManifests(manifests);
    const [configMap, job] = manifests as [ConfigMap, Job];
    expect(JSON.parse(configMap.data!["job.json"]!)).toEqual(spec());
    expect(job.metadata?.labels).toMatchObject({
      "crucible.dev/run-id": "run_01JD",
      "crucible.dev/workspace": "ws_acme",
    });
    expect(job.spec).toMatchObject({ backoffLimit: 3, activeDeadlineSeconds: 86400 });
    const pod = podOf(job);
    const container = pod.containers[0]!;
    expect(container.command).toEqual([
      "python",
      "-m",
      "crucible_trainer",
      "run",
      "--spec",
      "/etc/crucible/job.json",
    ]);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(container.securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(container.volumeMounts?.map((v) => [v.mountPath, v.readOnly ?? false])).toEqual([
      ["/etc/crucible", true],
      // the shared volume piece by piece: never its root, which may hold the Crucible home's keys
      ["/crucible/bases/nano-tiny/mid", true],
      ["/crucible/data/acme.jsonl", true],
      ["/crucible/data/pre.jsonl", true],
      ["/crucible/runs/run_01JD/cpt", false],
      ["/tmp", false],
      ["/var/run/secrets/crucible", true],
    ]);
    const token = pod.volumes?.find((v) => v.name === "workload-token")?.projected?.sources?.[0]
      ?.serviceAccountToken;
    expect(token).toEqual({ audience: "crucible", expirationSeconds: 3600, path: "token" });
    expect(JSON.stringify(manifests)).not.toMatch(/"kind":"Secret"/);
  });

  it("runs torchrun --standalone in one pod with one process per GPU", () => {
    const manifests = renderKubernetesManifests(input({ gpu: 2, memory: "32Gi" }));
    validateManifests(manifests);
    const pod = podOf(manifests[1]);
    expect(pod.containers[0]!.command).toEqual([
      "python",
      "-m",
      "torch.distributed.run",
      "--nproc-per-node",
      "2",
      "--standalone",
      "-m",
      "crucible_trainer",
      "run",
      "--spec",
      "/etc/crucible/job.json",
    ]);
    expect(pod.containers[0]!.resources?.limits).toEqual({ cpu: "2", memory: "32Gi", "nvidia.com/gpu": "2" });
    expect(pod.volumes?.find((v) => v.name === "dshm")?.emptyDir?.medium).toBe("Memory");
  });

  it("renders a PyTorchJob for several nodes: a Master and nodes-1 Workers whose templates are valid pods", () => {
    const manifests = renderKubernetesManifests(
      input({ nodes: 2, gpu: 4, workloadToken: { kind: "secret", secretName: "crucible-run-01jd" } }),
    );
    validateManifests(manifests);
    const job = manifests[1] as PyTorchJob;
    expect(job.spec.nprocPerNode).toBe("4");
    expect(job.spec.pytorchReplicaSpecs.Master.replicas).toBe(1);
    expect(job.spec.pytorchReplicaSpecs.Worker.replicas).toBe(1);
    const container = job.spec.pytorchReplicaSpecs.Worker.template.spec!.containers[0]!;
    expect(container.command?.slice(0, 3)).toEqual(["python", "-m", "torch.distributed.run"]);
    expect(container.env?.find((e) => e.name === "CRUCIBLE_WORKLOAD_TOKEN")?.valueFrom?.secretKeyRef).toEqual(
      {
        name: "crucible-run-01jd",
        key: "token",
      },
    );
  });

  it("the schema checks in this test catch broken manifests", () => {
    const [configMap, job] = renderKubernetesManifests(input()) as [ConfigMap, Job];
    podOf(job).containers[0]!.resources = { limits: { cpu: { many: 2 } as never } };
    expect(() => validateManifests([configMap, job])).toThrow(/cpu/);
    const multi = renderKubernetesManifests(input({ nodes: 2 }));
    (multi[1] as PyTorchJob).spec.pytorchReplicaSpecs.Master.replicas = 2;
    expect(() => validateManifests(multi)).toThrow(/Master/);
    (multi[1] as PyTorchJob).spec.pytorchReplicaSpecs.Master.replicas = 1;
    (multi[1] as PyTorchJob).spec.pytorchReplicaSpecs.Worker.template.spec!.containers[0]!.name = "trainer";
    expect(() => validateManifests(multi)).toThrow(/pytorch/);
  });

  it("refuses inputs the cluster or the trainer would refuse, naming the field", () => {
    const cases: [Partial<KubernetesInput>, RegExp][] = [
      [
        { spec: spec({ output_dir: "/home/eli/runs/x" }) },
        /spec\.output_dir: the pods see only the shared volume/,
      ],
      [{ spec: spec({ base: { path: "/crucible/../etc", digest: digest("a") } }) }, /spec\.base\.path/],
      [{ gpu: 2, nprocPerNode: 3 }, /nprocPerNode: each trainer process needs its own GPU/],
      [{ spec: spec({ runtime: { device: "cuda" } }) }, /gpu: the spec trains on CUDA/],
      [{ nodes: 3 }, /batch_size × grad_accum = 8 sequences per step do not split evenly over 3 processes/],
      [{ memory: "16 GB" }, /memory: must be a Kubernetes quantity/],
      [{ namespace: "Team_A" }, /namespace: must be a Kubernetes name/],
      [{ nodes: 0 }, /nodes: must be a whole number/],
      [{ image: "" }, /image: must name a container image/],
      [{ backoffLimit: -1 }, /backoffLimit: must be a whole number of at least 0/],
      [{ mountPath: "data" }, /mountPath: must be an absolute path/],
      [
        { workloadToken: { kind: "secret", secretName: "Run Token" } },
        /workloadToken\.secretName: must be a Kubernetes name/,
      ],
    ];
    for (const [over, message] of cases)
      expect(() => renderKubernetesManifests(input(over))).toThrow(message);
  });
});

describe("resource names and labels", () => {
  it("turns any run id into a distinct DNS-1035 name of at most 63 characters, and valid manifests", () => {
    const runIds = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);
    fc.assert(
      fc.property(runIds, runIds, (a, b) => {
        const name = resourceName(a);
        expect(name).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
        if (a !== b) expect(resourceName(b)).not.toBe(name);
        validateManifests(
          renderKubernetesManifests(input({ spec: spec({ run_id: a }), runId: a, workspace: b })),
        );
      }),
      { numRuns: 150 },
    );
  });
});

describe("kubernetesDryRun", () => {
  it("prints the manifests as one YAML stream that parses back to the same objects", () => {
    const dry = kubernetesDryRun(input({ nodes: 2 }));
    expect(dry).toMatchObject({
      kind: "PyTorchJob",
      name: "crucible-run-01jd-cpt-d6ab9dd3",
      namespace: "crucible",
    });
    const documents = parseAllDocuments(dry.yaml).map((d) => d.toJS());
    expect(documents).toEqual(dry.manifests);
    expect(dry.yaml).not.toMatch(/[&*]a\d/); // no YAML anchors: every manifest reads on its own
  });
});
