#!/usr/bin/env node
// `gradlab train --checkpoint` killed with SIGKILL at random moments and resumed until done,
// against one uninterrupted run: the final model file, the JSON summary's findings/epochs/steps.
// node bench/killresume.mjs [--epochs 60] [--kills 8] [--seed 1]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (k, d) => { const i = process.argv.indexOf(k); return i >= 0 ? Number(process.argv[i + 1]) : d; };
const epochs = arg('--epochs', 60), kills = arg('--kills', 8);
let s = arg('--seed', 1);
const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const cli = new URL('../dist/cli/main.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gradlab-kr-'));
const base = ['train', '--data', 'spiral', '--layers', '32,32', '--dropout', '0.1', '--epochs', String(epochs), '--seed', '3', '--json', '--quiet'];

function run(args, killAfterMs) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const t = killAfterMs !== undefined ? setTimeout(() => p.kill('SIGKILL'), killAfterMs) : null;
    p.on('close', (code, signal) => { if (t) clearTimeout(t); resolve({ code, signal, out, err }); });
  });
}
const sha = (f) => createHash('sha256').update(readFileSync(f)).digest('hex').slice(0, 16);
const essence = (json) => {
  const r = JSON.parse(json);
  const f = (r.findings ?? r.report?.findings ?? []).map((x) => `${x.id ?? x.kind}:${x.severity}:${x.firstStep ?? x.step ?? ''}:${x.resolved ?? ''}`);
  return JSON.stringify({ epochs: r.summary?.epochs ?? r.epochs, steps: r.summary?.steps ?? r.steps, train: r.summary?.train, test: r.summary?.test, f });
};

let t0 = performance.now();
const ref = await run([...base, '--out', join(dir, 'ref.safetensors')]);
const full = performance.now() - t0;
if (ref.code !== 0) throw new Error(`reference run exit ${ref.code}: ${ref.err}`);
console.log(`uninterrupted: ${(full / 1000).toFixed(1)} s, model ${sha(join(dir, 'ref.safetensors'))}`);

const ck = join(dir, 'ck.safetensors'), out = join(dir, 'out.safetensors');
let attempts = 0, killed = 0, last;
while (true) {
  attempts++;
  const resume = existsSync(ck) ? ['--resume', ck] : [];
  const killAt = killed < kills ? 300 + rand() * Math.max(500, full * 0.6) : undefined;
  last = await run([...base, ...resume, '--checkpoint', ck, '--out', out], killAt);
  if (last.signal === 'SIGKILL') { killed++; continue; }
  if (last.code !== 0) { console.log(`attempt ${attempts} (resume: ${resume.length > 0}) exit ${last.code}:\n${last.err}`); process.exit(1); }
  break;
}
const same = sha(out) === sha(join(dir, 'ref.safetensors'));
const a = essence(ref.out), b = essence(last.out);
console.log(`${killed} SIGKILLs, ${attempts} runs; final model ${sha(out)} ${same ? '==' : '!='} uninterrupted; summary ${a === b ? 'identical' : 'DIFFERS'}`);
if (a !== b) console.log(a + '\n' + b);
rmSync(dir, { recursive: true, force: true });
process.exit(same && a === b ? 0 : 1);
