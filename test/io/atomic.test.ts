import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as fsp from 'node:fs/promises';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, statSync, chmodSync, chownSync, lstatSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { whyNotWritable, writeFileAtomic, type AtomicFs } from '../../src/io/atomic.node.js';
import { saveSafetensors, loadSafetensors } from '../../src/io/safetensors.node.js';
import { tensor } from '../../src/tensor.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gradlab-atomic-'));
});
afterEach(() => {
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

const realFs: AtomicFs = { open: fsp.open, rename: fsp.rename, unlink: fsp.unlink, stat: fsp.stat };

/** Real fs with one step failing: 'open' (temp creation), 'write', 'sync' or 'rename'. */
function failing(step: 'open' | 'write' | 'sync' | 'rename'): AtomicFs {
  const err = (): Error => Object.assign(new Error(`injected ${step} failure`), { code: 'EIO' });
  return {
    ...realFs,
    open: (async (path: string, flags: string, mode?: number) => {
      if (step === 'open' && flags === 'wx') throw err();
      const h = await fsp.open(path, flags, mode);
      if (step === 'write' && flags === 'wx') {
        let written = 0;
        const realWrite = h.write.bind(h) as (b: Uint8Array, o: number, l: number) => Promise<{ bytesWritten: number }>;
        (h as unknown as { write: unknown }).write = async (b: Uint8Array, o: number, l: number) => {
          // Write part of the data, then fail: a torn write must not reach the target.
          if (written > 0) throw err();
          const r = await realWrite(b, o, Math.min(l, 5));
          written += r.bytesWritten;
          return r;
        };
      }
      if (step === 'sync' && flags === 'wx') (h as unknown as { sync: unknown }).sync = async () => { throw err(); };
      return h;
    }) as AtomicFs['open'],
    rename: (async (a: string, b: string) => {
      if (step === 'rename') throw err();
      return fsp.rename(a, b);
    }) as AtomicFs['rename'],
  };
}

describe('writeFileAtomic', () => {
  it('whyNotWritable says why before anything is written: directory, device, missing directory, empty name', async () => {
    expect(await whyNotWritable(join(dir, 'new.safetensors'))).toBeNull();
    writeFileSync(join(dir, 'old'), 'x');
    expect(await whyNotWritable(join(dir, 'old'))).toBeNull();
    expect(await whyNotWritable(dir)).toBe('it is a directory, not a regular file; give a file name inside it');
    expect(await whyNotWritable('/dev/null')).toBe('it is a character device, not a regular file');
    expect(await whyNotWritable(join(dir, 'no', 'x'))).toBe(`the directory ${join(dir, 'no')} does not exist`);
    expect(await whyNotWritable(join(dir, 'old', 'x'))).toBe(`${join(dir, 'old')} is not a directory`);
    expect(await whyNotWritable('')).toBe('the file name is empty');
    expect(await whyNotWritable(join(dir, 'new') + '/')).toBe('the name ends with "/", which names a directory; give a file name');
    // Beyond access(): a directory no file can be created in, even by root (procfs).
    if (process.platform === 'linux') expect(await whyNotWritable('/proc/m.safetensors')).toMatch(/^cannot create files in \/proc/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]); // the probe leaves nothing
    // writeFileAtomic itself refuses them with the same words, leaving the target alone.
    await expect(writeFileAtomic(dir, 'x')).rejects.toThrow(/cannot write ".*": it is a directory, not a regular file; any previous file is unchanged$/);
    await expect(writeFileAtomic('/dev/null', 'x')).rejects.toThrow(/it is a character device/);
    await expect(writeFileAtomic('', 'x')).rejects.toThrow(/the file name is empty/);
  });

  it('creates and replaces a file, leaving no temporary files', async () => {
    const p = join(dir, 'model.safetensors');
    await writeFileAtomic(p, 'first');
    expect(readFileSync(p, 'utf8')).toBe('first');
    await writeFileAtomic(p, new Uint8Array([1, 2, 3]));
    expect(Array.from(readFileSync(p))).toEqual([1, 2, 3]);
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
  });

  it('keeps the existing file mode when replacing', async () => {
    const p = join(dir, 'f');
    writeFileSync(p, 'old');
    chmodSync(p, 0o600);
    await writeFileAtomic(p, 'new');
    expect(statSync(p).mode & 0o777).toBe(0o600);
  });

  it('removes temporary files a killed save of the same target left behind, not those of live saves or other files', async () => {
    const p = join(dir, 'model.safetensors');
    const dead = 2147483647; // above any pid_max: no such process
    expect(() => process.kill(dead, 0)).toThrow();
    const stale = [`.model.safetensors.${dead}.lx1k2.tmp`, `.model.safetensors.${dead}.lx1k3.2.tmp`];
    const keep = [`.model.safetensors.${process.pid}.abc.tmp`, `.other.safetensors.${dead}.abc.tmp`, 'model.safetensors.notes'];
    for (const f of [...stale, ...keep]) writeFileSync(join(dir, f), 'x');
    await writeFileAtomic(p, 'new');
    expect(readdirSync(dir).sort()).toEqual([...keep, 'model.safetensors'].sort());
  });

  it('keeps the exact mode of a replaced file whatever the umask (0o664 under umask 022)', async () => {
    const p = join(dir, 'shared');
    writeFileSync(p, 'old');
    chmodSync(p, 0o664);
    const before = process.umask(0o022);
    try {
      await writeFileAtomic(p, 'new');
    } finally {
      process.umask(before);
    }
    expect(statSync(p).mode & 0o777).toBe(0o664);
  });

  it('keeps the owner and group of a replaced file when it may (running as root)', async () => {
    const p = join(dir, 'owned');
    writeFileSync(p, 'old');
    const root = process.getuid?.() === 0;
    if (root) chownSync(p, 1234, 5678);
    const want = statSync(p);
    await writeFileAtomic(p, 'new');
    const got = statSync(p);
    expect([got.uid, got.gid]).toEqual([want.uid, want.gid]);
    if (root) expect([got.uid, got.gid]).toEqual([1234, 5678]);
  });

  it('writes through a symbolic link (the link stays, its target is replaced), also a dangling one', async () => {
    const real = join(dir, 'real.safetensors');
    writeFileSync(real, 'old');
    symlinkSync('real.safetensors', join(dir, 'link.safetensors'));
    symlinkSync('link.safetensors', join(dir, 'link2.safetensors'));
    await writeFileAtomic(join(dir, 'link2.safetensors'), 'new');
    expect(lstatSync(join(dir, 'link.safetensors')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(dir, 'link2.safetensors')).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe('new');
    symlinkSync('missing.bin', join(dir, 'dangling'));
    await writeFileAtomic(join(dir, 'dangling'), 'created');
    expect(lstatSync(join(dir, 'dangling')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'missing.bin'), 'utf8')).toBe('created');
    symlinkSync('loop-b', join(dir, 'loop-a'));
    symlinkSync('loop-a', join(dir, 'loop-b'));
    await expect(writeFileAtomic(join(dir, 'loop-a'), 'x')).rejects.toThrow(/too many levels of symbolic links/);
  });

  for (const step of ['open', 'write', 'sync', 'rename'] as const) {
    it(`keeps the old file intact and removes the temp file when ${step} fails`, async () => {
      const p = join(dir, 'weights.bin');
      writeFileSync(p, 'old contents');
      await expect(writeFileAtomic(p, 'new contents that must not appear', { fs: failing(step) })).rejects.toThrow(
        new RegExp(`writeFileAtomic: cannot write "${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}".*injected ${step} failure`),
      );
      expect(readFileSync(p, 'utf8')).toBe('old contents');
      expect(readdirSync(dir)).toEqual(['weights.bin']);
    });
  }

  it('fails with the path named when the directory does not exist', async () => {
    const p = join(dir, 'missing', 'x.bin');
    await expect(writeFileAtomic(p, 'x')).rejects.toThrow(/cannot write ".*missing\/x\.bin": the directory .*missing does not exist$/);
  });

  it('saveSafetensors / loadSafetensors round trip through the atomic writer', async () => {
    const p = join(dir, 'm.safetensors');
    await saveSafetensors(p, { '0.weight': tensor([1, 2, 3, 4], [2, 2]) }, { epoch: '3' });
    const f = await loadSafetensors(p);
    expect(f.metadata).toEqual({ epoch: '3' });
    expect(Array.from(f.tensors.get('0.weight')!.data as ArrayLike<number>)).toEqual([1, 2, 3, 4]);
    writeFileSync(p, new Uint8Array(4));
    await expect(loadSafetensors(p)).rejects.toThrow(/m\.safetensors: file is 4 bytes, too short/);
  });
});
