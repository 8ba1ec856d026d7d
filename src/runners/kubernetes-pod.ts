import type { IPodTemplateSpec } from "kubernetes-models/v1";

/** Where the job spec (ConfigMap) and the workload token (projected) appear in the pod. */
export const SPEC_DIR = "/etc/crucible";
export const SPEC_FILE = `${SPEC_DIR}/job.json`;
export const TOKEN_DIR = "/var/run/secrets/crucible";
/** The image's non-root user; the shared volume is group-writable through fsGroup. */
export const RUN_AS = 10001;

/**
 * How the run's workload token reaches the trainer. Neither puts a secret into the rendered
 * manifests:
 * - `projected` (default): the kubelet writes a short-lived service-account JWT for `audience`
 *   into the pod and rotates it; Crucible verifies it against the cluster's OIDC issuer
 *   (src/identity/oidc.ts) — no Secret exists anywhere.
 * - `secret`: a Secret that the worker creates from the minted workload token just before it
 *   applies these manifests (and deletes when the run ends); the pod only references it.
 */
export type WorkloadTokenSource =
  | { kind: "projected"; audience?: string; expirationSeconds?: number }
  | { kind: "secret"; secretName: string; key?: string };

export interface PodInput {
  /** `trainer` in a Job; `pytorch` in a PyTorchJob (the operator looks for that name). */
  container: string;
  image: string;
  command: string[];
  serviceAccount: string;
  configMap: string;
  pvcName: string;
  mountPath: string;
  /** Files and directories the trainer reads (base, data), each mounted alone and read-only. */
  inputs: readonly string[];
  /** The one directory it writes, mounted alone. */
  outputDir: string;
  cpu: string;
  memory: string;
  gpu: number;
  token: WorkloadTokenSource;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Job pods set it; PyTorchJob replicas get theirs from the replica spec. */
  restartPolicy?: "Never";
}

/**
 * The trainer's pod: non-root, read-only root filesystem, no capabilities, no Kubernetes API
 * token; the job spec read-only from a ConfigMap, from the shared volume only the base and the
 * data (read-only) and output_dir, each at its own path (never the volume's root, which may hold
 * the Crucible home: its signing key and store), scratch space in /tmp, and shared memory for
 * NCCL on GPUs.
 * @example trainerPod({ container: "trainer", image, command, ... }).spec?.containers[0]?.name // "trainer"
 */
export function trainerPod(input: PodInput): IPodTemplateSpec {
  const resources: Record<string, string> = { cpu: input.cpu, memory: input.memory };
  if (input.gpu > 0) resources["nvidia.com/gpu"] = String(input.gpu);
  const token = tokenWiring(input.token);
  return {
    metadata: { labels: input.labels, annotations: input.annotations },
    spec: {
      ...(input.restartPolicy ? { restartPolicy: input.restartPolicy } : {}),
      serviceAccountName: input.serviceAccount,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 30,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: RUN_AS,
        runAsGroup: RUN_AS,
        fsGroup: RUN_AS,
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
      },
      containers: [
        {
          name: input.container,
          image: input.image,
          command: input.command,
          env: [
            { name: "PYTHONUNBUFFERED", value: "1" },
            { name: "PYTHONDONTWRITEBYTECODE", value: "1" },
            { name: "HOME", value: "/tmp" },
            { name: "HF_HOME", value: "/tmp/hf" },
            { name: "HF_HUB_OFFLINE", value: "1" },
            { name: "TRANSFORMERS_OFFLINE", value: "1" },
            token.env,
          ],
          resources: { requests: resources, limits: resources },
          volumeMounts: [
            { name: "job-spec", mountPath: SPEC_DIR, readOnly: true },
            ...dataMounts(input),
            { name: "tmp", mountPath: "/tmp" },
            ...(input.gpu > 0 ? [{ name: "dshm", mountPath: "/dev/shm" }] : []),
            ...token.mounts,
          ],
          securityContext: {
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
          },
        },
      ],
      volumes: [
        {
          name: "job-spec",
          configMap: { name: input.configMap, items: [{ key: "job.json", path: "job.json" }] },
        },
        { name: "data", persistentVolumeClaim: { claimName: input.pvcName } },
        { name: "tmp", emptyDir: { sizeLimit: "4Gi" } },
        ...(input.gpu > 0 ? [{ name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "8Gi" } }] : []),
        ...token.volumes,
      ],
    },
  };
}

/**
 * One subPath mount of the shared volume per path the trainer uses, at the same path: the
 * trainer sees its inputs and its output directory and nothing else on the volume.
 */
function dataMounts(input: PodInput) {
  const root = input.mountPath.replace(/\/+$/, "");
  const mount = (path: string, readOnly: boolean) => ({
    name: "data",
    mountPath: path,
    subPath: path.slice(root.length + 1),
    ...(readOnly ? { readOnly } : {}),
  });
  const inputs = [...new Set(input.inputs)].filter((p) => p !== input.outputDir);
  return [...inputs.map((p) => mount(p, true)), mount(input.outputDir, false)];
}

/** The env variable, mount and volume that bring the workload token into the container. */
function tokenWiring(token: WorkloadTokenSource) {
  if (token.kind === "secret") {
    const secretKeyRef = { name: token.secretName, key: token.key ?? "token" };
    return { env: { name: "CRUCIBLE_WORKLOAD_TOKEN", valueFrom: { secretKeyRef } }, mounts: [], volumes: [] };
  }
  const serviceAccountToken = {
    audience: token.audience ?? "crucible",
    expirationSeconds: token.expirationSeconds ?? 3600,
    path: "token",
  };
  return {
    env: { name: "CRUCIBLE_WORKLOAD_TOKEN_FILE", value: `${TOKEN_DIR}/token` },
    mounts: [{ name: "workload-token", mountPath: TOKEN_DIR, readOnly: true }],
    volumes: [{ name: "workload-token", projected: { sources: [{ serviceAccountToken }] } }],
  };
}
