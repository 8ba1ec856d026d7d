import { createHash } from "node:crypto";
import type { IJob } from "kubernetes-models/batch/v1";
import type { IConfigMap, IPodTemplateSpec } from "kubernetes-models/v1";
import { stringify } from "yaml";
import { checkKubernetesInput } from "./kubernetes-checks.ts";
import type { KubernetesInput } from "./kubernetes-input.ts";
import { SPEC_FILE, trainerPod } from "./kubernetes-pod.ts";
import { torchrunLauncher } from "./torchrun-runner.ts";

export type { KubernetesInput } from "./kubernetes-input.ts";
export type { WorkloadTokenSource } from "./kubernetes-pod.ts";

/** A PyTorchJob as the Kubeflow training operator v1 reads it (no official TS model exists). */
export interface PyTorchJob {
  apiVersion: "kubeflow.org/v1";
  kind: "PyTorchJob";
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  spec: {
    nprocPerNode: string;
    runPolicy: {
      backoffLimit: number;
      activeDeadlineSeconds: number;
      ttlSecondsAfterFinished: number;
      cleanPodPolicy: "Running";
    };
    pytorchReplicaSpecs: Record<
      "Master" | "Worker",
      { replicas: number; restartPolicy: "OnFailure"; template: IPodTemplateSpec }
    >;
  };
}

export type KubernetesManifest = IConfigMap | IJob | PyTorchJob;

const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const KEEP_LOGS_S = 7 * 86400;

/**
 * The manifests a cluster runs for one training stage: a ConfigMap holding job.json, then a
 * batch/v1 Job (one pod) or a Kubeflow PyTorchJob (a Master and nodes−1 Workers, each running
 * torchrun, which reads its node rank and rendezvous from the operator's PET_* variables). Rank 0
 * (the Job's pod, or the Master) prints the events; checkpoints land under output_dir on the
 * shared volume. No Secret is rendered: see WorkloadTokenSource.
 * @example const [configMap, job] = renderKubernetesManifests({ spec, runId: "run_1", workspace: "ws_1", image: "ghcr.io/acme/crucible-trainer:0.1" });
 */
export function renderKubernetesManifests(input: KubernetesInput): KubernetesManifest[] {
  const { spec } = input;
  const nodes = input.nodes ?? 1;
  const gpu = input.gpu ?? 0;
  const nproc = input.nprocPerNode ?? Math.max(gpu, 1);
  const mountPath = input.mountPath ?? "/crucible";
  checkKubernetesInput(input, { nodes, gpu, nproc, mountPath });

  const name = resourceName(spec.run_id);
  const namespace = input.namespace ?? "crucible";
  const specJson = `${JSON.stringify(spec, null, 2)}\n`;
  const labels = {
    "app.kubernetes.io/name": "crucible-trainer",
    "app.kubernetes.io/component": "training",
    "app.kubernetes.io/managed-by": "crucible",
    "crucible.dev/run-id": labelValue(input.runId),
    "crucible.dev/workspace": labelValue(input.workspace),
    "crucible.dev/stage": spec.stage,
  };
  const annotations = {
    "crucible.dev/run-id": input.runId,
    "crucible.dev/workspace": input.workspace,
    "crucible.dev/spec-run-id": spec.run_id,
    "crucible.dev/job-spec-sha256": createHash("sha256").update(specJson).digest("hex"),
  };
  const metadata = { name, namespace, labels, annotations };
  const configMap: IConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata,
    data: { "job.json": specJson },
  };
  const pod = (container: string, command: string[], restartPolicy?: "Never") =>
    trainerPod({
      container,
      image: input.image,
      command,
      serviceAccount: input.serviceAccount ?? "crucible-trainer",
      configMap: name,
      pvcName: input.pvcName ?? "crucible-data",
      mountPath,
      inputs: [
        spec.base.path,
        ...spec.data.sources.map((s) => s.path),
        ...(spec.eval?.sources ?? []).map((s) => s.path),
      ],
      outputDir: spec.output_dir,
      cpu: input.cpu ?? String(nproc),
      memory: input.memory ?? `${4 * nproc}Gi`,
      gpu,
      token: input.workloadToken ?? { kind: "projected" },
      labels,
      annotations,
      ...(restartPolicy ? { restartPolicy } : {}),
    });
  const run = ["-m", "crucible_trainer", "run", "--spec", SPEC_FILE];
  const backoffLimit = input.backoffLimit ?? 3;
  const activeDeadlineSeconds = input.activeDeadlineSeconds ?? 86400;

  if (nodes === 1) {
    const launcher = nproc > 1 ? torchrunLauncher(spec.run_id, { nprocPerNode: nproc }).pythonArgs : [];
    const job: IJob = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata,
      spec: {
        backoffLimit,
        activeDeadlineSeconds,
        ttlSecondsAfterFinished: KEEP_LOGS_S,
        // Exit 2 is bad input (the trainer's contract): retrying cannot help. Evictions and
        // preemptions do not count against backoffLimit. (Under torchrun a rank's exit 2
        // reaches Kubernetes as 1.)
        podFailurePolicy: {
          rules: [
            { action: "FailJob", onExitCodes: { containerName: "trainer", operator: "In", values: [2] } },
            { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] },
          ],
        },
        template: pod("trainer", ["python", ...launcher, ...run], "Never"),
      },
    };
    return unshared([configMap, job]);
  }
  // torchrun takes --nnodes, --node-rank, --nproc-per-node and the master address from the
  // operator's PET_* variables; static rendezvous puts global rank 0 on the Master.
  const template = pod("pytorch", ["python", "-m", "torch.distributed.run", ...run]);
  const pytorchJob: PyTorchJob = {
    apiVersion: "kubeflow.org/v1",
    kind: "PyTorchJob",
    metadata,
    spec: {
      nprocPerNode: String(nproc),
      runPolicy: {
        backoffLimit,
        activeDeadlineSeconds,
        ttlSecondsAfterFinished: KEEP_LOGS_S,
        cleanPodPolicy: "Running",
      },
      pytorchReplicaSpecs: {
        Master: { replicas: 1, restartPolicy: "OnFailure", template },
        Worker: { replicas: nodes - 1, restartPolicy: "OnFailure", template },
      },
    },
  };
  return unshared([configMap, pytorchJob]);
}

export interface KubernetesDryRun {
  kind: "Job" | "PyTorchJob";
  name: string;
  namespace: string;
  manifests: KubernetesManifest[];
  /** The manifests as one multi-document YAML stream, ready for `kubectl apply -f -`. */
  yaml: string;
}

/**
 * What `crucible run start --target kubernetes --dry-run` prints: the manifests, as YAML for a
 * terminal and as JSON objects for `--json`.
 * @example process.stdout.write(kubernetesDryRun(input).yaml);
 */
export function kubernetesDryRun(input: KubernetesInput): KubernetesDryRun {
  const manifests = renderKubernetesManifests(input);
  const workload = manifests[1] as IJob | PyTorchJob;
  return {
    kind: workload.kind,
    name: workload.metadata!.name!,
    namespace: workload.metadata!.namespace!,
    manifests,
    yaml: manifests.map((m) => stringify(m, { lineWidth: 0, aliasDuplicateObjects: false })).join("---\n"),
  };
}

/**
 * A DNS-1035 label of at most 63 characters (what a PyTorchJob name must be, and what fits a
 * Job's pod label): `crucible-` and the run id lowercased; a hash keeps altered or shortened
 * ids distinct.
 */
export function resourceName(runId: string): string {
  const slug = runId
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  const name = `crucible-${slug}`;
  if (name.length <= 63 && slug === runId && DNS_LABEL.test(name)) return name;
  const hash = createHash("sha256").update(runId).digest("hex").slice(0, 8);
  return `${name.slice(0, 63 - 9).replace(/-+$/, "")}-${hash}`;
}

/** A valid label value: the id itself when it is one, else a shortened one with a hash. */
function labelValue(id: string): string {
  if (id.length <= 63 && LABEL_VALUE.test(id)) return id;
  const hash = createHash("sha256").update(id).digest("hex").slice(0, 8);
  const kept = id.replace(/[^-A-Za-z0-9_.]/g, "-").slice(0, 54);
  return `${kept.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "")}-${hash}`.replace(/^-/, "");
}

/** Deep copies, so no object (labels, the pod template) is shared between or within manifests. */
function unshared(manifests: KubernetesManifest[]): KubernetesManifest[] {
  return JSON.parse(JSON.stringify(manifests)) as KubernetesManifest[];
}
