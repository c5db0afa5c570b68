/**
 * Atomic file replacement: readers see either the old file or the complete new one,
 * never a partial write, even if the process dies mid-way.
 *
 * Write the bytes to a temporary file in the same directory (rename is atomic only within
 * one file system), fsync it so the data is on disk before the name points at it, rename
 * it over the target, then fsync the directory so the rename itself is durable (best
 * effort: some platforms cannot open directories). On any failure the temporary file is
 * removed and the previous file, if any, is left as it was.
 *
 * As npm's write-file-atomic does: a target that is a symbolic link is written through (the
 * file it points to is replaced, the link stays), and a replaced file keeps its mode and —
 * when the process may set them (root) — its owner and group. Beyond it: temporary files a
 * killed save left behind (`.<name>.<pid>.<time>.tmp` whose process no longer runs) are
 * removed by the next save of the same target. (Implemented here rather than depending on
 * write-file-atomic: it keeps the injectable file-system calls the failure tests use, and
 * write-file-atomic cleans its temporary files only on a clean exit, not after a kill.)
 */
import * as nodeFs from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** The file-system calls used, replaceable for tests (inject a failure) or other back ends. */
export interface AtomicFs {
  open: typeof nodeFs.open;
  rename: typeof nodeFs.rename;
  unlink: typeof nodeFs.unlink;
  stat: typeof nodeFs.stat;
  /** Read-only queries; Node's own when left out. */
  lstat?: typeof nodeFs.lstat;
  readlink?: typeof nodeFs.readlink;
  readdir?: typeof nodeFs.readdir;
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
  // Node's messages already start with the code ("EISDIR: illegal operation on a directory, …").
  return err.code && !String(err.message).startsWith(err.code) ? `${err.code}: ${err.message}` : String(err?.message ?? e);
}

/** What a non-regular file is, in words. */
function kindOf(st: { isDirectory(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Why writeFileAtomic could not write `path`, found before writing it, or null: an
 * empty name, a target that exists but is a directory or another non-regular file (replacing
 * /dev/null or a FIFO by rename would be wrong even where it is allowed), a parent directory
 * that is missing or not a directory, or one this process may not create files in. The CLI
 * checks its output flags with it before training, so a bad path costs no work.
 */
export async function whyNotWritable(pathIn: string): Promise<string | null> {
  if (pathIn.trim() === '') return 'the file name is empty';
  if (/[\\/]$/.test(pathIn)) return 'the name ends with "/", which names a directory; give a file name';
  let path: string;
  try {
    path = await resolveLinks(pathIn, defaultFs);
  } catch (e) {
    return (e as Error).message.replace(/^writeFileAtomic: cannot write "[^"]*": /, '');
  }
  try {
    const st = await nodeFs.stat(path);
    if (!st.isFile()) return `it is ${kindOf(st)}, not a regular file${st.isDirectory() ? '; give a file name inside it' : ''}`;
  } catch {
    /* does not exist yet: its directory decides */
  }
  const dir = dirname(resolve(path));
  try {
    const st = await nodeFs.stat(dir);
    if (!st.isDirectory()) return `${dir} is not a directory`;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? `the directory ${dir} does not exist` : `cannot use the directory ${dir} (${describe(e)})`;
  }
  try {
    await nodeFs.access(dir, nodeFs.constants.W_OK);
  } catch {
    return `no permission to create files in ${dir}`;
  }
  // access() says yes to root and knows nothing of read-only or virtual file systems (/proc,
  // /sys): create and remove a temporary file as a save would (named as its temporaries are,
  // so a kill in between leaves one the next save removes).
  const probe = join(dir, `.${basename(path)}.${process.pid}.${process.hrtime.bigint().toString(36)}.tmp`);
  try {
    const h = await nodeFs.open(probe, 'wx');
    await h.close();
    await nodeFs.unlink(probe);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM' ? `no permission to create files in ${dir}` : code === 'EROFS' ? `${dir} is on a read-only file system` : `cannot create files in ${dir} (${describe(e)})`;
  }
  return null;
}

/** The file a chain of symbolic links ends at (which may not exist yet); `path` itself when it is no link. */
async function resolveLinks(path: string, fs: AtomicFs): Promise<string> {
  const lstat = fs.lstat ?? nodeFs.lstat;
  const readlink = fs.readlink ?? nodeFs.readlink;
  let p = path;
  for (let hops = 0; hops < 40; hops++) {
    let st;
    try {
      st = await lstat(p);
    } catch {
      return p; // does not exist (yet): write it
    }
    if (!st.isSymbolicLink()) return p;
    p = resolve(dirname(p), await readlink(p));
  }
  throw new Error(`writeFileAtomic: cannot write "${path}": too many levels of symbolic links`);
}

/** Temporary files of earlier saves of `target` whose process is gone (killed mid-save). */
async function removeStaleTemps(target: string, fs: AtomicFs): Promise<void> {
  const readdir = fs.readdir ?? nodeFs.readdir;
  const prefix = `.${basename(target)}.`;
  let names: string[];
  try {
    names = (await readdir(dirname(target))) as string[];
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const m = /^(\d+)\.[0-9a-z]+(\.\d+)?\.tmp$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue; // a save in progress
    await fs.unlink(join(dirname(target), name)).catch(() => undefined);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

/** Write `data` to `path` atomically (see the module comment). */
export async function writeFileAtomic(pathIn: string, data: Uint8Array | string, options: WriteFileAtomicOptions = {}): Promise<void> {
  const fs = options.fs ?? defaultFs;
  const doSync = options.fsync ?? true;
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  if (pathIn.trim() === '') throw new Error('writeFileAtomic: cannot write "": the file name is empty');
  const path = await resolveLinks(pathIn, fs);
  const dir = dirname(path);
  await removeStaleTemps(path, fs);
  let mode = options.mode;
  let owner: { uid: number; gid: number } | null = null;
  let existing;
  try {
    existing = await fs.stat(path);
  } catch {
    existing = null;
  }
  if (existing && !existing.isFile()) {
    throw new Error(`writeFileAtomic: cannot write "${path}": it is ${kindOf(existing)}, not a regular file; any previous file is unchanged`);
  }
  try {
    const st = existing ?? (await fs.stat(path));
    mode ??= st.mode & 0o7777;
    owner = { uid: st.uid, gid: st.gid };
  } catch {
    mode ??= 0o666;
  }
  const keepMode = options.mode !== undefined || owner !== null;
  let tmp = '';
  let handle: nodeFs.FileHandle | null = null;
  for (let attempt = 0; handle === null; attempt++) {
    tmp = join(dir, `.${basename(path)}.${process.pid}.${process.hrtime.bigint().toString(36)}${attempt ? `.${attempt}` : ''}.tmp`);
    try {
      handle = await fs.open(tmp, 'wx', mode);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 100) continue;
      const why = await whyNotWritable(path).catch(() => null);
      throw new Error(`writeFileAtomic: cannot write "${path}": ${why ?? `cannot create a temporary file in ${dir} (${describe(e)})`}`, { cause: e });
    }
  }
  try {
    // open() applies the umask; a replaced file keeps its exact mode, and its owner when we may set it.
    if (keepMode) await handle.chmod(mode);
    if (owner && (owner.uid !== process.getuid?.() || owner.gid !== process.getgid?.())) {
      await handle.chown(owner.uid, owner.gid).catch(() => undefined);
    }
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
