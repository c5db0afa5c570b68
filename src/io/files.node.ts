/**
 * Reading a whole input file, safely: the file is opened once and checked on its descriptor
 * (fstat), so it must be a regular file — not a directory, a device (/dev/zero never ends and
 * reports size 0), a FIFO or a socket — and at most `maxBytes` long; exactly the size fstat
 * reported is read. Every Node reader of user files (model files, CSV, IDX, predict inputs)
 * goes through `readRegularFile`; errors name the path and say what is wrong.
 */
import { open } from 'node:fs/promises';
import { constants, type Stats } from 'node:fs';

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  return 'of an unknown kind';
}

const bytesText = (n: number): string => `${n.toLocaleString('en-US')} bytes`;

/** Why a read failed, in words (ENOENT → "no such file"). */
export function describeReadError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOENT') return 'no such file';
  if (err?.code === 'EACCES' || err?.code === 'EPERM') return 'permission denied';
  if (err?.code === 'EISDIR') return 'is a directory';
  if (err?.code === 'ELOOP') return 'too many levels of symbolic links (a link that leads back to itself?)';
  if (err?.code === 'ENOTDIR') return 'a part of the path is a file, not a directory';
  if (err?.code === 'ENAMETOOLONG') return 'the name is too long';
  return err?.message ?? String(e);
}

export interface ReadOptions {
  /** Largest size accepted, in bytes. */
  maxBytes: number;
  /** What the file is, for the size message ("model file", "CSV file"). Default 'file'. */
  what?: string;
}

/**
 * The bytes of a regular file of at most `maxBytes`; throws `${path}: cannot read: …` for a
 * missing file or one that is not a regular file, and `${path}: … larger than the limit`.
 */
export async function readRegularFile(path: string, options: ReadOptions): Promise<Buffer> {
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO with no writer returns at once (to be refused by fstat)
    // instead of waiting forever; it changes nothing for a regular file.
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw new Error(`${path}: cannot read: ${describeReadError(e)}`, { cause: e });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new Error(`${path}: cannot read: is ${kindOf(st)}, not a regular file`);
    if (st.size > options.maxBytes) {
      throw new Error(`${path}: the ${options.what ?? 'file'} is ${bytesText(st.size)}, larger than the ${bytesText(options.maxBytes)} limit`);
    }
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const { bytesRead } = await handle.read(buf, off, st.size - off, off);
      if (bytesRead === 0) break; // truncated while reading: keep what is there
      off += bytesRead;
    }
    return off === st.size ? buf : buf.subarray(0, off);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith(`${path}: `)) throw e;
    throw new Error(`${path}: cannot read: ${describeReadError(e)}`, { cause: e });
  } finally {
    await handle.close().catch(() => undefined);
  }
}
