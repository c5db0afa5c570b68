// One core busy: gradlab on its default 2 threads against gradlab on 1 thread, alternating,
// with another process spinning (as `npm run bench`'s busy-core row), plus what the thread
// chooser (src/kernels/wasm/backend.ts) decided in the 2-thread runs: per GEMM size class,
// the calls split and unsplit with their mean times, the split calls that found the workers
// asleep (more than 0.1 ms after the previous split call ended), and the chooser's estimates.
// Usage: node bench/busy-core.mjs [rounds] [--no-spin] [--samples N]   (npm run build first)
import { spawn } from 'node:child_process';
import { setNumThreads } from 'gradlab';
import { getWasmBackend } from '../dist/kernels/auto.js';
import { loadData, runGradlab, SPIN } from './mlp.mjs';

const args = process.argv.slice(2);
const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? 3);
const si = args.indexOf('--samples');
const data = await loadData(si >= 0 ? Number(args[si + 1]) : 30000);
const spinner = args.includes('--no-spin') ? null : spawn(process.execPath, ['-e', SPIN], { stdio: 'ignore' });
process.on('exit', () => spinner?.kill());
await new Promise((r) => setTimeout(r, 500));
const chooser = getWasmBackend().chooser;
const threaded = chooser.threaded.bind(chooser);
let split = 0;
let single = 0;
chooser.threaded = (macs) => {
  const t = threaded(macs);
  if (t) split++;
  else single++;
  return t;
};
const rec = chooser.record.bind(chooser);
const byClass = new Map();
chooser.record = (t, ms, macs, now) => {
  const b = Math.floor(Math.log2(macs));
  const e = byClass.get(b) ?? { split: 0, single: 0, splitMs: 0, singleMs: 0, cold: 0, coldMs: 0 };
  const at = now ?? performance.now();
  if (t && chooser.cold) { e.cold++; e.coldMs += ms; }
  if (t) { e.split++; e.splitMs += ms; } else { e.single++; e.singleMs += ms; }
  byClass.set(b, e);
  return rec(t, ms, macs, now);
};
const classes = () => [...byClass].sort((a, b) => a[0] - b[0]).map(([b, e]) => {
  const est = chooser.estimates(2 ** b);
  return `  2^${b}: split ${e.split} (${(e.splitMs / Math.max(1, e.split)).toFixed(3)} ms; cold ${e.cold}, ${(e.coldMs / Math.max(1, e.cold)).toFixed(3)} ms), unsplit ${e.single} (${(e.singleMs / Math.max(1, e.single)).toFixed(3)} ms); estimates ns/MAC split ${(est.split * 1e3).toFixed(1)} cold ${((est.splitCold ?? 0) * 1e3).toFixed(1)} single ${(est.single * 1e3).toFixed(1)}`;
}).join('\n');
const ratios = [];
try {
  for (let r = 0; r < rounds; r++) {
    setNumThreads(2);
    split = single = 0;
    byClass.clear();
    const two = runGradlab(data, { batch: 128, bn: false }).samplesPerSec;
    const s2 = split;
    const u2 = single;
    const cl = classes();
    setNumThreads(1);
    const one = runGradlab(data, { batch: 128, bn: false }).samplesPerSec;
    ratios.push(two / one);
    console.log(`round ${r}: 2 threads ${two.toFixed(0)} (GEMMs split ${s2}, unsplit ${u2}; est ${JSON.stringify(chooser.estimates(25e6))}), 1 thread ${one.toFixed(0)} samples/s, ratio ${(two / one).toFixed(2)}\n${cl}`);
  }
} finally {
  spinner?.kill();
}
ratios.sort((a, b) => a - b);
console.log(`median ratio ${ratios[Math.floor(ratios.length / 2)].toFixed(2)}`);
process.exit(0);
