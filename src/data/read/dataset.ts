import { extname } from "node:path";
import { CrucibleError, invalid } from "../../core/errors.ts";
import type { SourcedRecord } from "../records.ts";
import { readCsv } from "./csv.ts";
import { RecordDigest } from "./digest.ts";
import { readJsonl } from "./jsonl.ts";
import {
  type DatasetFormat,
  type ReadOptions,
  type ReadRecord,
  type ResolvedReadOptions,
  resolveReadOptions,
} from "./options.ts";
import { readParquet } from "./parquet.ts";
import { readText } from "./text.ts";

const EXTENSIONS: Record<string, DatasetFormat> = {
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  ".txt": "text",
  ".md": "text",
  ".csv": "csv",
  ".parquet": "parquet",
};

/** What a completed read knows about the dataset. */
export interface DatasetSummary {
  format: DatasetFormat;
  records: number;
  /** `sha256:<hex>`, see `RecordDigest`. */
  digest: string;
}

/**
 * A dataset file opened for one streaming pass. Iterate it for records; after the last record
 * `summary()` gives the record count and the content digest computed along the way. An empty
 * dataset (no records) is rejected when the iteration ends.
 * @example
 * const ds = openDataset("chat.jsonl");
 * for await (const r of ds) scan(r);
 * const { digest, records } = ds.summary();
 */
export class DatasetStream implements AsyncIterable<SourcedRecord> {
  readonly format: DatasetFormat;
  private readonly digest: RecordDigest;
  private done = false;

  /**
   * @param copyCanonical receives the canonical JSONL of the records as it is digested (see
   *   `RecordDigest`), so a copy costs no second serialisation.
   */
  constructor(
    readonly path: string,
    private readonly options: ReadOptions = {},
    copyCanonical?: (canonical: Uint8Array) => void,
  ) {
    this.format = options.format ?? formatOf(path);
    this.digest = new RecordDigest(copyCanonical);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<SourcedRecord> {
    for await (const batch of this.batches()) yield* batch;
  }

  /**
   * The records in batches (one per disk chunk, Parquet row group): the same records as
   * iterating the stream, with one asynchronous step per batch instead of per record.
   */
  async *batches(): AsyncGenerator<SourcedRecord[]> {
    if (this.done || this.digest.count > 0) {
      throw new CrucibleError("failed_precondition", "a DatasetStream can be iterated once", {
        fix: "Open the dataset again",
      });
    }
    const resolved = resolveReadOptions(this.options);
    const readers: Record<
      DatasetFormat,
      (path: string, options: ResolvedReadOptions) => AsyncGenerator<ReadRecord[]>
    > = {
      jsonl: readJsonl,
      text: readText,
      csv: readCsv,
      parquet: readParquet,
    };
    for await (const batch of readers[this.format](this.path, resolved)) {
      for (const r of batch) {
        this.digest.add(r.record, r.jsonlSource);
        // The source bytes are a view into a read buffer that is about to be reused.
        r.jsonlSource = undefined;
      }
      yield batch;
    }
    if (this.digest.count === 0) {
      throw invalid(
        this.path,
        "dataset has no records",
        "0 records",
        "Check that the file is the intended one and is not empty",
      );
    }
    this.done = true;
  }

  summary(): DatasetSummary {
    if (!this.done) {
      throw new CrucibleError("failed_precondition", "dataset summary asked before the read finished", {
        fix: "Iterate every record first",
      });
    }
    return { format: this.format, records: this.digest.count, digest: this.digest.finish() };
  }
}

/**
 * Opens a dataset file for streaming; the format comes from `options.format` or the extension.
 * `copyCanonical`, when given, receives the records' canonical JSONL in order (see `DatasetStream`).
 * @example for await (const { index, line, record } of openDataset("faq.csv")) f(index, line, record);
 */
export function openDataset(
  path: string,
  options: ReadOptions = {},
  copyCanonical?: (canonical: Uint8Array) => void,
): DatasetStream {
  return new DatasetStream(path, options, copyCanonical);
}

/** Format from a file extension, or `invalid_argument` naming the known ones. */
export function formatOf(path: string): DatasetFormat {
  const format = EXTENSIONS[extname(path).toLowerCase()];
  if (!format) {
    throw invalid(
      path,
      "file extension does not name a dataset format",
      extname(path) || "(none)",
      `Use one of ${Object.keys(EXTENSIONS).join(", ")} or pass format`,
    );
  }
  return format;
}
