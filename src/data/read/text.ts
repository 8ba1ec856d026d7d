import { invalid } from "../../core/errors.ts";
import type { SourcedRecord } from "../records.ts";
import { fileLines } from "./lines.ts";
import type { ResolvedReadOptions } from "./options.ts";

/**
 * Streams documents from a plain UTF-8 text file, in batches (one per disk chunk). With `textSplit: "paragraph"` (the default)
 * each run of non-blank lines is one document, joined with `\n` and with its first line as
 * `line`; blank lines (empty or whitespace only) separate documents. With `textSplit: "file"`
 * the whole file is one document. Either way a document may not exceed `maxLineBytes`, which
 * keeps memory bounded. A control character is refused with its line and column unless
 * `allowControlChars` (see `fileLines`).
 * @example for await (const batch of readText("notes.txt", resolveReadOptions())) for (const r of batch) f(r.record);
 */
export async function* readText(path: string, options: ResolvedReadOptions): AsyncGenerator<SourcedRecord[]> {
  let index = 0;
  let paragraph: string[] = [];
  let paragraphBytes = 0;
  let startLine = 0;
  const flush = (): SourcedRecord | undefined => {
    if (paragraph.length === 0) return undefined;
    const record: SourcedRecord = { index, line: startLine, record: { text: paragraph.join("\n") } };
    index += 1;
    paragraph = [];
    paragraphBytes = 0;
    return record;
  };
  const lines = fileLines(path, { ...options, refuseControls: !options.allowControlChars });
  for await (const batch of lines) {
    const records: SourcedRecord[] = [];
    for (const { line, text, bytes } of batch) {
      if (options.textSplit === "paragraph" && text.trim().length === 0) {
        const record = flush();
        if (record) records.push(record);
        continue;
      }
      if (paragraph.length === 0) startLine = line;
      paragraph.push(text);
      paragraphBytes += bytes + 1;
      if (paragraphBytes > options.maxLineBytes) {
        throw invalid(
          `${path}:${startLine}`,
          `document is longer than the limit of ${options.maxLineBytes} bytes`,
          `${paragraphBytes}+ bytes`,
          options.textSplit === "file"
            ? 'Use textSplit "paragraph", or raise maxLineBytes'
            : "Separate documents with blank lines, or raise maxLineBytes",
        );
      }
    }
    if (records.length > 0) yield records;
  }
  // A whole-file document keeps trailing blank lines out of the record, as paragraphs do.
  if (options.textSplit === "file") trimTrailingBlank(paragraph);
  const last = flush();
  if (last) yield [last];
}

function trimTrailingBlank(lines: string[]): void {
  while (lines.length > 0 && (lines[lines.length - 1] ?? "").trim().length === 0) lines.pop();
}
