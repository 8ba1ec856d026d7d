import { open } from "node:fs/promises";
import { CrucibleError, invalid } from "../../core/errors.ts";

/**
 * Reads a file in fixed-size chunks, holding two chunks in memory at a time. The size seen when
 * the file was opened is the contract: a file that ends early (truncated while being read) or
 * keeps growing is rejected, so a digest never describes bytes that were not all there.
 * Each chunk is only valid until the next-but-one is requested: copy what must outlive that.
 * @example for await (const chunk of fileChunks("data.jsonl", 1 << 20)) total += chunk.length;
 */
export async function* fileChunks(path: string, chunkBytes: number): AsyncGenerator<Uint8Array> {
  const handle = await openForRead(path);
  let next: ReturnType<typeof handle.read<Uint8Array>> | undefined;
  try {
    const { size } = await handle.stat();
    // Two buffers: the next read runs while the caller works on the current chunk. A chunk is
    // valid until the caller asks for the one after the next.
    const buffers = [new Uint8Array(chunkBytes), new Uint8Array(chunkBytes)];
    let turn = 0;
    let offset = 0;
    next = handle.read(buffers[0]!, 0, chunkBytes, 0);
    while (true) {
      const { bytesRead, buffer } = await next.catch((err: NodeJS.ErrnoException) => {
        throw invalid(
          path,
          `file could not be read (${err.code ?? err.message})`,
          `byte ${offset}`,
          "Check the disk and that the file is still there, then read it again",
        );
      });
      if (bytesRead === 0) break;
      offset += bytesRead;
      if (offset > size) {
        throw invalid(
          path,
          "file grew while it was being read",
          `${size} bytes at open`,
          "Wait until the file is completely written, then read it again",
        );
      }
      turn = 1 - turn;
      next = handle.read(buffers[turn]!, 0, chunkBytes, offset);
      yield bytesRead === chunkBytes ? buffer : buffer.subarray(0, bytesRead);
    }
    if (offset < size) {
      throw invalid(
        path,
        `file was truncated while it was being read (ended at byte ${offset})`,
        `${size} bytes at open`,
        "Do not modify the file during intake; copy it complete and read it again",
      );
    }
  } finally {
    // A read may still be in flight when the caller stops early; let it settle before closing.
    await next?.catch(() => undefined);
    await handle.close();
  }
}

/**
 * The byte size of a file, with the same errors as opening it.
 * @example await fileSize("corpus.parquet") // 1048576
 */
export async function fileSize(path: string): Promise<number> {
  const handle = await openForRead(path);
  try {
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}

async function openForRead(path: string) {
  try {
    const handle = await open(path, "r");
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      throw invalid(
        path,
        "path is not a regular file",
        stat.isDirectory() ? "directory" : "special file",
        "Point at a dataset file",
      );
    }
    return handle;
  } catch (err) {
    if (err instanceof CrucibleError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      throw invalid(
        path,
        "file does not exist (it may have been moved or deleted)",
        path,
        "Check the path and that the file is still there",
      );
    if (code === "EACCES" || code === "EPERM")
      throw invalid(path, "file is not readable", code, "Grant read permission on the file");
    if (code === "EISDIR") throw invalid(path, "path is a directory", path, "Point at a dataset file");
    throw invalid(
      path,
      `file cannot be opened (${code ?? "unknown error"})`,
      path,
      "Check the path and its permissions",
    );
  }
}
