/**
 * Atomic file replacement: readers see either the old file or the complete new one,
 * never a partial write, even if the process dies mid-way.
 *
 * Write the bytes to a temporary file in the same directory (rename is atomic only within
 * one file system), fsync it so the data is on disk before the name points at it, rename
 * it over the target, then fsync the directory so the rename itself is durable (best
 * effort: some platforms cannot open directories). On any failure the temporary file is
 * removed and the previous file, if any, is left as it was.
 */
import * as nodeFs from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The file-system calls used, replaceable for tests (inject a failure) or other back ends. */
export interface AtomicFs {
  open: typeof nodeFs.open;
  rename: typeof nodeFs.rename;
  unlink: typeof nodeFs.unlink;
  stat: typeof nodeFs.stat;
}

export interface WriteFileAtomicOptions {
  /** File mode of a new file. Default: the existing file's mode, else 0o666 (minus umask). */
  mode?: number;
  /** fsync the file and directory. Default true. */
  fsync?: boolean;
  fs?: AtomicFs;
}

const defaultFs: AtomicFs = { open: nodeFs.open, rename: nodeFs.rename, unlink: nodeFs.unlink, stat: nodeFs.stat };

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}: ${err.message}` : String(err?.message ?? e);
}

/** Write `data` to `path` atomically (see the module comment). */
export async function writeFileAtomic(path: string, data: Uint8Array | string, options: WriteFileAtomicOptions = {}): Promise<void> {
  const fs = options.fs ?? defaultFs;
  const doSync = options.fsync ?? true;
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const dir = dirname(path);
  let mode = options.mode;
  if (mode === undefined) {
    try {
      mode = (await fs.stat(path)).mode & 0o7777;
    } catch {
      mode = 0o666;
    }
  }
  let tmp = '';
  let handle: nodeFs.FileHandle | null = null;
  for (let attempt = 0; handle === null; attempt++) {
    tmp = join(dir, `.${basename(path)}.${process.pid}.${process.hrtime.bigint().toString(36)}${attempt ? `.${attempt}` : ''}.tmp`);
    try {
      handle = await fs.open(tmp, 'wx', mode);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 100) continue;
      throw new Error(`writeFileAtomic: cannot write "${path}": cannot create a temporary file in ${dir} (${describe(e)})`, { cause: e });
    }
  }
  try {
    let off = 0;
    while (off < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, off, bytes.length - off);
      if (bytesWritten <= 0) throw new Error('write made no progress');
      off += bytesWritten;
    }
    if (doSync) await handle.sync();
    await handle.close();
    handle = null;
    await fs.rename(tmp, path);
  } catch (e) {
    if (handle) await handle.close().catch(() => undefined);
    await fs.unlink(tmp).catch(() => undefined);
    throw new Error(`writeFileAtomic: cannot write "${path}" (${describe(e)}); any previous file is unchanged`, { cause: e });
  }
  if (doSync) {
    // Durability of the rename; the file is already complete and in place, so failures here are ignored.
    try {
      const d = await fs.open(dir, 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    } catch {
      /* directories cannot be opened or fsynced on some platforms (Windows) */
    }
  }
}
