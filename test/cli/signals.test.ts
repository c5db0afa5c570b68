/**
 * The built `gradlab` process under the signals and pipes users and supervisors send it:
 * SIGTERM/SIGINT mid-run (stop after the batch, outputs complete, documented exit code),
 * stdout closed early (`gradlab train --json | head -c 1`), no stdin and no TTY (CI).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/errors.js';
import { modelFromBytes } from '../../src/io/model.js';

const dir = mkdtempSync(join(tmpdir(), 'gradlab-signals-'));
const bin = join(process.cwd(), 'dist/cli/main.js');
/** Long enough to be stopped mid-run (an epoch is ~0.1 s), short if the signal is lost. */
const longRun = ['train', '--data', 'spiral', '--samples', '2000', '--layers', '32,32', '--epochs', '2000'];

/** Start `gradlab …args`, send `signal` once the first epoch line is printed; exit code, stderr. */
function stopMidRun(signal: NodeJS.Signals, args: string[]): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: 'true' } });
    let err = '';
    let sent = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      err += s;
      if (!sent && /epoch \d+\/2000/.test(err)) {
        sent = true;
        child.kill(signal);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, err });
    });
  });
}

describe('gradlab train stopped by a signal', () => {
  it.each([
    ['SIGTERM', EXIT.terminated, 'terminated (SIGTERM)'],
    ['SIGINT', EXIT.interrupted, 'interrupted'],
  ] as const)('%s: stops after the batch with a message and exit %i; the model file and report are complete', async (signal, code, said) => {
    expect(existsSync(bin), 'dist/ is missing: run `npx tsc -p tsconfig.json`').toBe(true);
    const out = join(dir, `${signal}.safetensors`);
    const report = join(dir, `${signal}.html`);
    const r = await stopMidRun(signal, [...longRun, '--out', out, '--report', report]);
    expect(r.code, r.err.slice(-800)).toBe(code);
    expect(r.err).toContain(`gradlab: ${said}; finishing the current batch`);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.err).not.toMatch(/epoch 2000\/2000/); // it stopped early
    // Complete, not half-written: the file loads, and no temporary file is left beside it.
    const loaded = modelFromBytes(new Uint8Array(readFileSync(out)));
    expect(loaded.model.parameters().length).toBeGreaterThan(0);
    expect(readFileSync(report, 'utf8')).toMatch(/<\/html>\s*$/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 70_000);
});

describe('a command that does not watch the signal', () => {
  it('predict waiting on a stdin that never ends: Ctrl-C ends it at once with exit 130 (it waited for the input before)', async () => {
    const model = join(dir, 'moons.safetensors');
    const t = spawnSync(process.execPath, [bin, 'train', '--data', 'moons', '--samples', '100', '--layers', '4', '--epochs', '1', '-q', '--out', model], { encoding: 'utf8', timeout: 60_000 });
    expect(t.status, t.stderr).toBe(0);
    const r = await new Promise<{ code: number | null; err: string; ms: number }>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, 'predict', model, '-'], { stdio: ['pipe', 'ignore', 'pipe'] }); // stdin left open
      let err = '';
      let sent = 0;
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (s: string) => (err += s));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      setTimeout(() => ((sent = Date.now()), child.kill('SIGINT')), 2000); // after start-up, while it reads stdin
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, err, ms: Date.now() - sent });
      });
    });
    expect(r.code, r.err).toBe(EXIT.interrupted);
    expect(r.err).toContain('gradlab: interrupted');
    expect(r.err).not.toContain('finishing the current batch');
    expect(r.ms).toBeLessThan(5000);
  }, 60_000);
});

describe('gradlab with stdout closed early, no stdin, no TTY', () => {
  it('train --json | head -c 1: EPIPE ends the process quietly, no stack trace', async () => {
    const r = await new Promise<{ code: number | null; err: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, 'train', '--data', 'moons', '--samples', '200', '--layers', '8', '--epochs', '3', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (s: string) => (err += s));
      child.stdout.once('data', () => child.stdout.destroy()); // the reader goes away, as head's does
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, err }));
    });
    expect(r.err).not.toMatch(/\n\s+at |EPIPE|Error:/);
    expect([EXIT.ok, null]).toContain(r.code);
  }, 60_000);

  it('CI=true with stdin closed and no TTY: trains and prints plain progress lines', () => {
    const r = spawnSync(process.execPath, [bin, 'train', '--data', 'moons', '--samples', '200', '--layers', '8', '--epochs', '2'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('epoch 2/2');
    expect(r.stderr).not.toContain('\r'); // no redraws without a terminal
  });
});
