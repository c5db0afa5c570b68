/**
 * The built `gradlab` process under the signals and pipes users and supervisors send it:
 * SIGTERM/SIGINT mid-run (stop after the batch, outputs complete, documented exit code),
 * stdout closed early (`gradlab train --json | head -c 1`), no stdin and no TTY (CI).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
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

describe('gradlab train --out over an existing model, stopped at any moment', () => {
  /** Start a short run writing `out`; after `delay` ms send `signals` (20 ms apart); exit code and signal. */
  function stopAt(out: string, delay: number, signals: NodeJS.Signals[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [bin, 'train', '--data', 'spiral', '--epochs', '3', '--layers', '256,128', '--out', out, '--checkpoint', `${out}.ckpt`, '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (s: string) => (err += s));
      const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
      signals.forEach((s, i) => setTimeout(() => child.kill(s), delay + 20 * i));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(kill);
        resolve({ code, signal, err });
      });
    });
  }

  it('the file afterwards is the old one byte for byte or a complete new one; never a stack trace or a temporary file', async () => {
    const sub = mkdtempSync(join(dir, 'any-moment-'));
    const out = join(sub, 'model.safetensors');
    const first = spawnSync(process.execPath, [bin, 'train', '--data', 'spiral', '--epochs', '1', '--layers', '256,128', '--out', out, '-q']);
    expect(first.status, String(first.stderr)).toBe(0);
    const old = readFileSync(out);
    // From start-up (data not yet made) to the end of the run (the save), once and twice (Ctrl-C again: quit now).
    const moments: Array<[number, NodeJS.Signals[]]> = [[30, ['SIGINT']], [150, ['SIGTERM', 'SIGTERM']], [350, ['SIGINT', 'SIGINT']], [600, ['SIGTERM']], [900, ['SIGINT']]];
    const seen: string[] = [];
    for (const [delay, signals] of moments) {
      writeFileSync(out, old);
      const r = await stopAt(out, delay, signals);
      expect(r.err, `${signals.join('+')} at ${delay} ms`).not.toMatch(/\n\s+at |internal error/);
      // Exit 130/143 (stopped), 0 (finished before the signal) or killed by the second signal.
      expect([EXIT.interrupted, EXIT.terminated, EXIT.ok, null]).toContain(r.code);
      const now = readFileSync(out);
      if (now.equals(old)) seen.push('old');
      else {
        expect(modelFromBytes(new Uint8Array(now)).model.parameters().length, `${signals.join('+')} at ${delay} ms`).toBeGreaterThan(0);
        seen.push('new');
      }
      expect(readdirSync(sub).filter((f) => f !== 'model.safetensors' && f !== 'model.safetensors.ckpt')).toEqual([]);
    }
    expect(seen.length).toBe(moments.length);
  }, 120_000);
});
