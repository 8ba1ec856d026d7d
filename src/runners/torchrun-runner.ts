import { CrucibleError } from "../core/errors.ts";
import type { JobSpec } from "../protocol/types/job-spec.gen.ts";
import {
  type CommandOutcome,
  type Launcher,
  type LocalRunOptions,
  prepareJobSpec,
  type RunOutcome,
  runJobSpec,
  runTrainerCommand,
} from "./local-runner.ts";

export interface TorchrunOptions extends LocalRunOptions {
  /** Trainer processes on this machine (one per GPU, or a share of the CPU cores). */
  nprocPerNode: number;
  /** Machines in the run (default 1). More than one needs `rdzvEndpoint`. */
  nnodes?: number;
  /** This machine's rank among the nodes: 0 for `runTorchrun`, 1… for `runTorchrunFollower`. */
  nodeRank?: number;
  /** `host:port` of node 0, reachable from every node; node 0 hosts the rendezvous store there. */
  rdzvEndpoint?: string;
}

/**
 * Runs one JobSpec data-parallel through `python -m torch.distributed.run` (DDP: gloo on CPU,
 * nccl on GPUs; see trainer/src/crucible_trainer/distributed.py). Global rank 0 alone writes
 * events and checkpoints, so the outcome is exactly `runLocal`'s; the other ranks' stderr joins
 * the run log. On several machines this is node 0 (rank 0 lives there); the others run
 * `runTorchrunFollower`. Cancelling signals the whole process group: torchrun and its workers.
 * @example const outcome = await runTorchrun(spec, { python: trainerPython(process.env), nprocPerNode: 2 });
 */
export function runTorchrun(spec: JobSpec, options: TorchrunOptions): Promise<RunOutcome> {
  const nodeRank = options.nodeRank ?? 0;
  if (nodeRank !== 0) {
    throw new CrucibleError("invalid_argument", "runTorchrun runs node 0, the node that reports the run", {
      field: "nodeRank",
      value: nodeRank,
      fix: "Run node 0 with runTorchrun and every other node with runTorchrunFollower",
    });
  }
  return runJobSpec(spec, options, torchrunLauncher(spec.run_id, { ...options, nodeRank }));
}

/**
 * Node 1… of a multi-node run: the same trainer command, no events of its own (they all come
 * from rank 0 on node 0), so it ends `succeeded` without a `finished` event, or failed/cancelled.
 * @example await runTorchrunFollower(spec, { python, nprocPerNode: 8, nnodes: 2, nodeRank: 1, rdzvEndpoint: "10.0.0.5:29500" });
 */
export function runTorchrunFollower(spec: JobSpec, options: TorchrunOptions): Promise<CommandOutcome> {
  const launcher = torchrunLauncher(spec.run_id, options);
  if ((options.nodeRank ?? 0) === 0) {
    throw new CrucibleError("invalid_argument", "a follower is node 1 or higher", {
      field: "nodeRank",
      value: options.nodeRank ?? null,
      fix: "Run node 0 with runTorchrun; give each follower its rank from 1",
    });
  }
  const prepared = prepareJobSpec(spec, options);
  return runTrainerCommand(["run", "--spec", prepared.specPath], prepared.options, launcher);
}

/**
 * The torchrun arguments for one node: `--standalone` on one machine, otherwise a static
 * rendezvous at node 0's `rdzvEndpoint` (fixed node ranks, so rank 0 is always on node 0).
 * @example torchrunLauncher("run-1", { nprocPerNode: 2 }).pythonArgs
 * // ["-m", "torch.distributed.run", "--nproc-per-node", "2", "--standalone"]
 */
export function torchrunLauncher(
  runId: string,
  options: Pick<TorchrunOptions, "nprocPerNode" | "nnodes" | "nodeRank" | "rdzvEndpoint">,
): Launcher {
  const { nprocPerNode, nnodes = 1, nodeRank = 0, rdzvEndpoint } = options;
  positiveInteger("nprocPerNode", nprocPerNode);
  positiveInteger("nnodes", nnodes);
  const args = ["-m", "torch.distributed.run", "--nproc-per-node", String(nprocPerNode)];
  if (nnodes === 1) return { pythonArgs: [...args, "--standalone"], processGroup: true };
  if (rdzvEndpoint === undefined || !/^[^\s:]+:\d{1,5}$/.test(rdzvEndpoint)) {
    throw new CrucibleError("invalid_argument", "a multi-node torchrun run needs node 0's host:port", {
      field: "rdzvEndpoint",
      value: rdzvEndpoint ?? null,
      fix: "Pass host:port of node 0 (a free port every node can reach), the same on every node",
    });
  }
  if (!Number.isInteger(nodeRank) || nodeRank < 0 || nodeRank >= nnodes) {
    throw new CrucibleError("invalid_argument", `the node rank must be a whole number in [0, ${nnodes})`, {
      field: "nodeRank",
      value: nodeRank,
      fix: `Give each of the ${nnodes} nodes a distinct rank from 0 to ${nnodes - 1}`,
    });
  }
  const rendezvous = ["--rdzv-backend", "static", "--rdzv-endpoint", rdzvEndpoint, "--rdzv-id", runId];
  return {
    pythonArgs: [...args, "--nnodes", String(nnodes), "--node-rank", String(nodeRank), ...rendezvous],
    processGroup: true,
  };
}

function positiveInteger(field: string, value: number): void {
  if (Number.isInteger(value) && value >= 1) return;
  throw new CrucibleError("invalid_argument", `${field} must be a whole number of at least 1`, {
    field,
    value,
    fix: `Set ${field} to 1 or more`,
  });
}
