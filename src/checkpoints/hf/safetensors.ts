import { open } from "node:fs/promises";
import { invalid } from "../../core/errors.ts";

/** The safetensors library's own limit on a header (100 MB); a larger length is hostile or broken. */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor as a safetensors header describes it. */
export interface TensorInfo {
  dtype: string;
  shape: number[];
}

/**
 * Reads a safetensors file's header (a little-endian u64 length, then that many bytes of JSON),
 * never the tensors: the tensor names with dtype and shape, and the parameter count. The length
 * is checked against MAX_HEADER_BYTES and the file's size before anything is allocated, and each
 * tensor's shape and byte range must be sane, so a hostile file costs a few reads.
 * @example const { tensors, parameters } = await readSafetensorsHeader("model.safetensors", "model.safetensors");
 */
export async function readSafetensorsHeader(
  path: string,
  name: string,
): Promise<{ tensors: Map<string, TensorInfo>; parameters: number }> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    const prefix = Buffer.alloc(8);
    if (size < 8 || (await file.read(prefix, 0, 8, 0)).bytesRead < 8)
      throw refused(name, `is ${size} bytes, shorter than a safetensors header`, size);
    const length = prefix.readBigUInt64LE(0);
    if (length > BigInt(Math.min(MAX_HEADER_BYTES, size - 8)))
      throw refused(
        name,
        `declares a ${length}-byte header in a ${size}-byte file (at most ${MAX_HEADER_BYTES} bytes and within the file)`,
        length.toString(),
      );
    const raw = Buffer.alloc(Number(length));
    await file.read(raw, 0, raw.length, 8);
    return parseHeader(raw, name, size - 8 - raw.length);
  } finally {
    await file.close();
  }
}

function parseHeader(
  raw: Buffer,
  name: string,
  dataBytes: number,
): { tensors: Map<string, TensorInfo>; parameters: number } {
  let header: unknown;
  try {
    header = JSON.parse(raw.toString("utf8"));
  } catch (err) {
    throw refused(name, `has a header that is not JSON (${(err as Error).message})`, raw.length);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header))
    throw refused(name, "has a header that is not a JSON object", raw.length);
  const tensors = new Map<string, TensorInfo>();
  let parameters = 0;
  for (const [tensor, value] of Object.entries(header as Record<string, unknown>)) {
    if (tensor === "__metadata__") continue;
    const { dtype, shape, data_offsets: offsets } = (value ?? {}) as Record<string, unknown>;
    const dims = Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
    const range =
      Array.isArray(offsets) &&
      offsets.length === 2 &&
      offsets.every((o) => Number.isSafeInteger(o) && o >= 0 && o <= dataBytes) &&
      offsets[0] <= offsets[1];
    if (typeof dtype !== "string" || !dims || !range)
      throw refused(
        name,
        `describes tensor ${JSON.stringify(tensor)} with no valid dtype, shape or data_offsets`,
        value,
      );
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    tensors.set(tensor, { dtype, shape: shape as number[] });
    parameters += elements;
  }
  return { tensors, parameters };
}

function refused(name: string, problem: string, value: unknown) {
  return invalid(
    name,
    problem,
    value,
    "Save the weights again with safetensors (model.save_pretrained(dir, safe_serialization=True)) or download them again",
  );
}
