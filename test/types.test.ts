// The strict TypeScript user program (test/types/pytorch-user.ts) against the built package, as a
// user's project sees it: 'gradlab' from node_modules through package.json's exports, `tsc --strict`
// with the library's own declarations checked (no skipLibCheck), under the module resolutions
// projects use (nodenext for Node, bundler for Vite/webpack, the older node10); then the emitted JS runs.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const dir = mkdtempSync(join(tmpdir(), 'gradlab-ts-user-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function project(name: string, compilerOptions: Record<string, unknown>): string {
  const p = join(dir, name);
  mkdirSync(join(p, 'node_modules', '@types'), { recursive: true });
  symlinkSync(ROOT, join(p, 'node_modules', 'gradlab'), 'dir');
  symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(p, 'node_modules', '@types', 'node'), 'dir');
  writeFileSync(join(p, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  copyFileSync(join(ROOT, 'test', 'types', 'pytorch-user.ts'), join(p, 'main.ts'));
  writeFileSync(join(p, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', outDir: 'out', types: ['node'], ...compilerOptions }, files: ['main.ts'] }));
  return p;
}

// Asynchronous: a synchronous tsc run of many seconds starves the test worker's RPC with vitest.
const run = promisify(execFile);
const tsc = async (p: string) => {
  try {
    await run('node', [TSC, '-p', join(p, 'tsconfig.json')], { encoding: 'utf8' });
    return '';
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? e);
  }
};

describe('a strict TypeScript program written from PyTorch habits', () => {
  it('type-checks with moduleResolution nodenext and runs', async () => {
    expect(existsSync(join(ROOT, 'dist', 'index.d.ts')), 'dist/ is missing: run `npm run build` before the tests').toBe(true);
    const p = project('nodenext', { module: 'nodenext', moduleResolution: 'nodenext' });
    expect(await tsc(p)).toBe('');
    const { stdout: out } = await run('node', [join(p, 'out', 'main.js')], { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r.epochs).toBe(2);
    expect(r.runningLoss && r.lrs).toBe(true);
    expect(r.gain).toBeCloseTo(Math.sqrt(2 / (1 + 0.2 ** 2)), 12);
    expect(r.batch).toEqual([[2, 1, 8, 8], [2]]);
  }, 120_000);

  it('type-checks with moduleResolution bundler', async () => {
    const p = project('bundler', { module: 'esnext', moduleResolution: 'bundler', noEmit: true });
    expect(await tsc(p)).toBe('');
  }, 120_000);

  it("type-checks with the older moduleResolution node (node10), which reads no exports: 'gradlab/node' through typesVersions", async () => {
    const p = project('node10', { module: 'esnext', moduleResolution: 'node', noEmit: true });
    expect(await tsc(p)).toBe('');
  }, 120_000);

  it('a wrong call is a type error (the check is not vacuous)', async () => {
    const p = project('wrong', { module: 'nodenext', moduleResolution: 'nodenext', noEmit: true });
    writeFileSync(join(p, 'main.ts'), "import { randn } from 'gradlab';\nconst x = randn(2, 3);\nx.sum({ dims: 1 });\nx.registerHook((g) => g.nope());\n");
    const errors = await tsc(p);
    expect(errors).toMatch(/main\.ts\(3,/);
    expect(errors).toMatch(/main\.ts\(4,.*nope/);
  }, 120_000);
});
