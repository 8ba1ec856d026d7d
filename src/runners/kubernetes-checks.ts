import { invalid } from "../core/errors.ts";
import type { JobSpec } from "../protocol/types/job-spec.gen.ts";
import type { KubernetesInput } from "./kubernetes-input.ts";
import { HOME_SECRETS } from "./trainer-dirs.ts";

const QUANTITY = /^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/;

/**
 * Refuses, before anything is rendered, what the cluster would refuse or the run would fail on:
 * counts, GPU/device mismatch, a global batch that does not split over the processes, names
 * and quantities Kubernetes rejects, and files outside the shared volume.
 * @example checkKubernetesInput(input, { nodes: 1, gpu: 0, nproc: 2, mountPath: "/crucible" });
 */
export function checkKubernetesInput(
  input: KubernetesInput,
  d: { nodes: number; gpu: number; nproc: number; mountPath: string },
): void {
  const { spec } = input;
  for (const [field, value, least] of [
    ["nodes", d.nodes, 1],
    ["nprocPerNode", d.nproc, 1],
    ["backoffLimit", input.backoffLimit ?? 0, 0],
    ["activeDeadlineSeconds", input.activeDeadlineSeconds ?? 1, 1],
  ] as const) {
    if (!Number.isInteger(value) || value < least)
      throw invalid(
        field,
        `must be a whole number of at least ${least}`,
        value,
        `Set ${field} to ${least} or more`,
      );
  }
  if (!d.mountPath.startsWith("/") || d.mountPath.split("/").includes("..")) {
    throw invalid(
      "mountPath",
      "must be an absolute path",
      d.mountPath,
      "Use the path the shared volume is mounted at, e.g. /crucible",
    );
  }
  if (!Number.isInteger(d.gpu) || d.gpu < 0)
    throw invalid("gpu", "must be a whole number of GPUs", d.gpu, "Set gpu to 0 or more");
  if (d.gpu > 0 && d.nproc !== d.gpu) {
    throw invalid(
      "nprocPerNode",
      `each trainer process needs its own GPU, and a pod has ${d.gpu}`,
      d.nproc,
      `Set nprocPerNode to ${d.gpu}, or leave it out`,
    );
  }
  const device = spec.runtime?.device ?? "auto";
  if (d.gpu === 0 && device === "cuda") {
    throw invalid(
      "gpu",
      "the spec trains on CUDA but the pods would get no GPU",
      d.gpu,
      "Request gpu: 1 or more, or set runtime.device to auto or cpu",
    );
  }
  if (d.gpu > 0 && device === "cpu") {
    throw invalid(
      "spec.runtime.device",
      "the pods get GPUs but the spec trains on the CPU",
      device,
      "Set runtime.device to auto or cuda, or request no GPU",
    );
  }
  const h = spec.hyperparameters;
  const sequences = h.batch_size * (h.grad_accum ?? 1);
  const processes = d.nodes * d.nproc;
  if (sequences % processes !== 0) {
    throw invalid(
      "spec.hyperparameters.batch_size",
      `batch_size × grad_accum = ${sequences} sequences per step do not split evenly over ${processes} processes`,
      h.batch_size,
      "Make batch_size × grad_accum a multiple of nodes × nprocPerNode",
    );
  }
  if (!input.image || /\s/.test(input.image))
    throw invalid(
      "image",
      "must name a container image",
      input.image,
      "Pass the trainer image, e.g. registry.example.com/crucible-trainer:0.1",
    );
  for (const [field, value] of [
    ["namespace", input.namespace],
    ["serviceAccount", input.serviceAccount],
    ["pvcName", input.pvcName],
    [
      "workloadToken.secretName",
      input.workloadToken?.kind === "secret" ? input.workloadToken.secretName : undefined,
    ],
  ] as const) {
    if (value !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value)) {
      throw invalid(
        field,
        "must be a Kubernetes name (lowercase letters, digits and '-', at most 63)",
        value,
        `Use the ${field} as it exists in the cluster`,
      );
    }
  }
  for (const [field, value] of [
    ["cpu", input.cpu],
    ["memory", input.memory],
  ] as const) {
    if (value !== undefined && !QUANTITY.test(value))
      throw invalid(
        field,
        "must be a Kubernetes quantity",
        value,
        `Write it like ${field === "cpu" ? '"4" or "500m"' : '"16Gi"'}`,
      );
  }
  checkPaths(spec, d.mountPath);
}

/** Every file the trainer touches must be on the shared volume, at the path the spec names. */
function checkPaths(spec: JobSpec, mountPath: string): void {
  const root = `${mountPath.replace(/\/+$/, "")}/`;
  const paths: [string, string][] = [
    ["spec.base.path", spec.base.path],
    ["spec.output_dir", spec.output_dir],
    ...spec.data.sources.map((s, i): [string, string] => [`spec.data.sources[${i}].path`, s.path]),
    ...(spec.eval?.sources ?? []).map((s, i): [string, string] => [`spec.eval.sources[${i}].path`, s.path]),
  ];
  for (const [field, path] of paths) {
    if (!path.startsWith(root) || path.split("/").includes("..")) {
      throw invalid(
        field,
        `the pods see only the shared volume mounted at ${mountPath}`,
        path,
        `Keep Crucible's artifacts on that volume and mount it at ${mountPath} on the control plane too (CRUCIBLE_HOME under ${mountPath}), or pass mountPath`,
      );
    }
    const top = path.slice(root.length).split("/")[0]!;
    if ((HOME_SECRETS as readonly string[]).includes(top))
      throw invalid(
        field,
        `a trainer pod never mounts ${root}${top}: the Crucible home keeps its signing key and store there`,
        path,
        "Point the spec at the base, data and output directories only",
      );
  }
}
