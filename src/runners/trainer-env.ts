/**
 * The trainer's environment. Training code is untrusted (a customer's data loader or model code
 * runs inside it), so it never inherits the worker's environment: DATABASE_URL, CRUCIBLE_HOME,
 * cloud credentials, CRUCIBLE_TOKEN of the operator and every other secret of the worker stay
 * behind. It gets the variables named below, taken from the worker's environment when set there,
 * plus what its caller passes explicitly (the run's workload token and id).
 */

/**
 * Every variable the trainer may inherit from the worker, and why it needs it. Nothing else
 * passes; a variable that should reach the trainer is added here, with its reason, or passed
 * explicitly by the caller.
 */
export const TRAINER_ENV_ALLOWLIST = [
  // process basics: finding executables, locale and time zone for text handling, scratch space
  "PATH",
  "HOME",
  "LANG",
  "LANGUAGE",
  "LC_ALL",
  "LC_CTYPE",
  "TZ",
  "TMPDIR",
  // the trainer's Python: where crucible_trainer is imported from, unbuffered events, no .pyc
  "PYTHONPATH",
  "PYTHONUNBUFFERED",
  "PYTHONDONTWRITEBYTECODE",
  "PYTHONHASHSEED",
  "VIRTUAL_ENV",
  "LD_LIBRARY_PATH",
  // a copy of protocol/ where the trainer is installed apart from the repository
  "CRUCIBLE_PROTOCOL_DIR",
  // thread counts of the math libraries (runtime.threads sets torch's own)
  "OMP_NUM_THREADS",
  "MKL_NUM_THREADS",
  "OPENBLAS_NUM_THREADS",
  "NUMEXPR_NUM_THREADS",
  "TOKENIZERS_PARALLELISM",
  // which accelerators this worker may use, and deterministic cuBLAS
  "CUDA_VISIBLE_DEVICES",
  "NVIDIA_VISIBLE_DEVICES",
  "CUDA_DEVICE_ORDER",
  "CUBLAS_WORKSPACE_CONFIG",
  // torchrun's rendezvous and the network the collectives use between nodes
  "MASTER_ADDR",
  "MASTER_PORT",
  "NCCL_SOCKET_IFNAME",
  "NCCL_IB_DISABLE",
  "NCCL_P2P_DISABLE",
  "NCCL_DEBUG",
  "GLOO_SOCKET_IFNAME",
  "TORCH_NCCL_ASYNC_ERROR_HANDLING",
  // offline model libraries: bases and data come from the spec, never from a hub
  "HF_HOME",
  "HF_HUB_OFFLINE",
  "TRANSFORMERS_OFFLINE",
] as const;

export type TrainerEnvName = (typeof TRAINER_ENV_ALLOWLIST)[number];

/**
 * The trainer's environment: the allowlisted variables that `inherited` sets, then `explicit`
 * (the caller's own additions, such as CRUCIBLE_TOKEN), then unbuffered stdout, since the
 * events are read line by line as they come.
 * @example trainerEnvironment({ PATH: "/usr/bin", DATABASE_URL: "postgres://…" }, { CRUCIBLE_RUN_ID: "run_1" })
 * // { PATH: "/usr/bin", CRUCIBLE_RUN_ID: "run_1", PYTHONUNBUFFERED: "1" }
 */
export function trainerEnvironment(
  inherited: NodeJS.ProcessEnv,
  explicit: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of TRAINER_ENV_ALLOWLIST) {
    const value = inherited[name];
    if (value !== undefined) env[name] = value;
  }
  for (const [name, value] of Object.entries(explicit)) if (value !== undefined) env[name] = value;
  env.PYTHONUNBUFFERED = "1";
  return env;
}
