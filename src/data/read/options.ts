import type { SourcedRecord } from "../records.ts";

/** The formats the intake readers understand. */
export type DatasetFormat = "jsonl" | "text" | "csv" | "parquet";

/** How plain-text files are cut into documents. */
export type TextSplit = "paragraph" | "file";

/** Options shared by every reader; all have defaults. */
export interface ReadOptions {
  /** Longest accepted line (JSONL, text) or CSV row, in bytes. Default 8 MiB. */
  maxLineBytes?: number;
  /**
   * Bytes read from disk per step. Default 256 KiB: the records of one chunk are alive together
   * (readers yield a batch per chunk), and with 1 MiB chunks the young-generation collections that
   * copy them cost more (measured: 1 MiB 38-58 MB/s per core, 256 KiB 49-65, same runs).
   */
  chunkBytes?: number;
  /** CSV and Parquet: the column holding the text. Default `text`. */
  textColumn?: string;
  /** Plain text: one document per blank-line-separated paragraph (default) or per file. */
  textSplit?: TextSplit;
  /** Format; by default taken from the file extension. */
  format?: DatasetFormat;
  /**
   * Accept C0 control characters (other than tab, LF and CR, which are always accepted) in the
   * text. Default false: they are refused with their line and column. Lone surrogates and
   * UTF-16/UTF-32 files are refused either way.
   */
  allowControlChars?: boolean;
}

export interface ResolvedReadOptions {
  maxLineBytes: number;
  chunkBytes: number;
  textColumn: string;
  textSplit: TextSplit;
  allowControlChars: boolean;
}

export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;

/**
 * Fills in the defaults of `ReadOptions`.
 * @example resolveReadOptions({ textColumn: "body" }).maxLineBytes // 8388608
 */
export function resolveReadOptions(options: ReadOptions = {}): ResolvedReadOptions {
  return {
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    chunkBytes: options.chunkBytes ?? 256 * 1024,
    textColumn: options.textColumn ?? "text",
    textSplit: options.textSplit ?? "paragraph",
    allowControlChars: options.allowControlChars ?? false,
  };
}

/**
 * What readers yield: a record and, for JSONL, the source bytes the digest copies its canonical
 * line from. `DatasetStream` strips the latter.
 */
export interface ReadRecord extends SourcedRecord {
  /** JSONL: the source line's bytes, for the digest to copy from (valid until the next record). */
  jsonlSource?: Uint8Array;
}
