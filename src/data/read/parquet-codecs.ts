import * as zlib from "node:zlib";
import type { Compressors } from "hyparquet";

type Decompress = (input: Uint8Array) => Uint8Array;

/** `zlib.zstdDecompressSync` exists from Node 22.15 / 23.8; on older Node zstd pages are refused. */
const zstd = (zlib as unknown as { zstdDecompressSync?: Decompress }).zstdDecompressSync;

/**
 * Page decompressors beyond hyparquet's built-in snappy, from Node's own zlib (no dependency):
 * GZIP and BROTLI always, ZSTD where the running Node has it. LZ4 is not supported.
 * @example parquetReadObjects({ file, compressors: PARQUET_DECOMPRESSORS })
 */
export const PARQUET_DECOMPRESSORS: Compressors = {
  GZIP: (input) => zlib.gunzipSync(input),
  BROTLI: (input) => zlib.brotliDecompressSync(input),
  ...(zstd ? { ZSTD: (input: Uint8Array) => zstd(input) } : {}),
};
