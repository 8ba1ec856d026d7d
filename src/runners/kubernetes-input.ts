import type { JobSpec } from "../protocol/types/job-spec.gen.ts";
import type { WorkloadTokenSource } from "./kubernetes-pod.ts";

/**
 * What `run start --target kubernetes` renders from: the stage's JobSpec and the cluster's
 * options. Its own module because kubernetes.ts renders it and kubernetes-checks.ts refuses it
 * first, and neither should import the other for it.
 */
export interface KubernetesInput {
  spec: JobSpec;
  runId: string;
  workspace: string;
  /** The trainer image: crucible_trainer installed, `python` on PATH, a non-root user. */
  image: string;
  namespace?: string;
  /** Trainer processes per pod; default: one per GPU, or 1. */
  nprocPerNode?: number;
  /** Pods; 1 renders a batch/v1 Job, more a Kubeflow PyTorchJob (kubeflow.org/v1). */
  nodes?: number;
  /** Per pod, Kubernetes quantities; requests equal limits (Guaranteed QoS). */
  cpu?: string;
  memory?: string;
  /** nvidia.com/gpu per pod. */
  gpu?: number;
  serviceAccount?: string;
  /** The shared volume holding base checkpoints, data and run outputs. */
  pvcName?: string;
  /** Where that volume is mounted; every path in the spec must lie under it. */
  mountPath?: string;
  workloadToken?: WorkloadTokenSource;
  /** Pod retries; each retry resumes from the last checkpoint on the shared volume. */
  backoffLimit?: number;
  /** Wall-clock limit of the whole run in seconds (match the workload token's lifetime). */
  activeDeadlineSeconds?: number;
}
