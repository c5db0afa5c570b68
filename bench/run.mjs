// `npm run bench`: gradlab against PyTorch and TF.js on the benchmark MLP (bench/mlp.mjs),
// the benchmark CNN against PyTorch (bench/cnn.mjs), GEMM GFLOP/s (bench/gemm.mjs) and
// steady-state memory, printed as a table with ratios to gradlab; full runs write
// bench/RESULTS.md (median/min/max of repeated runs).
//   node bench/run.mjs [--quick] [--repeats N] [--no-cnn]
import { execFileSync, execSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend, getGemmKernel, getNumThreads, setNumThreads } from 'gradlab';
import { loadData, median, SPIN, runFit, runGradlab, runTfjs, runTorch, torchPythons, summarize, quick, repeats, fashionAvailable } from './mlp.mjs';
import { benchCnn } from './cnn.mjs';
const skipTfjs = process.argv.includes('--no-tfjs');
const skipCnn = process.argv.includes('--no-cnn');

const here = path.dirname(fileURLToPath(import.meta.url));
const log = (...a) => console.error(...a);

if (!fashionAvailable()) {
  console.log('bench: Fashion-MNIST not found (apt-get install dataset-fashion-mnist); nothing to measure.');
  process.exit(0);
}

const SAMPLES = quick ? 4000 : 60000;
const TFJS_WASM_SAMPLES = quick ? 2000 : 20000;
const TFJS_CPU_SAMPLES = quick ? 500 : 2000;
const data = await loadData(SAMPLES);
const variants = [
  { name: 'batch 128', batch: 128, bn: false },
  { name: 'batch 128 + BatchNorm', batch: 128, bn: true },
  { name: 'batch 32', batch: 32, bn: false },
  { name: 'batch 512', batch: 512, bn: false },
];
// PyTorch peers: Debian's 1.13 on 1 thread and a PyTorch 2.x build on 2 threads when
// bench/.venv-torch has one; otherwise Debian's on 1 and 2 threads. The better one counts.
const pythons = torchPythons();
const venv = pythons.find((p) => p.name === 'venv');
const debian = pythons.find((p) => p.name === 'debian');
const torchConfigs = [
  ...(debian ? [{ py: debian.py, threads: 1 }] : []),
  ...(venv ? [{ py: venv.py, threads: 2 }] : debian ? [{ py: debian.py, threads: 2 }] : []),
];

const rows = [];
let torchPeak = 0;
for (const v of variants) {
  log(`\n== ${v.name} ==`);
  // gradlab and PyTorch alternate round by round: this machine's speed drifts over minutes (a
  // shared host), and runs taken back to back per runtime would fold that drift into the ratio.
  // Each round's ratio (gradlab ÷ the better PyTorch of that round) is kept; their median is the paired ratio.
  const g = [];
  const fits = [];
  const torchRuns = torchConfigs.map(() => []);
  const torchPeer = torchConfigs.map(() => null);
  const paired = [];
  const fitPaired = [];
  for (let r = 0; r < repeats; r++) {
    g.push(runGradlab(data, v));
    log(`gradlab plain loop (${getBackend()}, GEMM ${getGemmKernel()}, ${getNumThreads()} thread(s)): ${g[r].samplesPerSec.toFixed(0)} samples/s`);
    if (v.name === 'batch 128') {
      const f = await runFit(data, v);
      fits.push(f);
      fitPaired.push(f.samplesPerSec / g[r].samplesPerSec);
      log(`gradlab fit(): ${f.samplesPerSec.toFixed(0)} samples/s`);
    }
    let best = 0;
    torchConfigs.forEach((c, k) => {
      const t = runTorch({ ...v, threads: c.threads, py: c.py, samples: SAMPLES, repeats: 1 });
      torchPeer[k] = t.peer;
      torchRuns[k].push(t.runs[0]);
      torchPeak = Math.max(torchPeak, t.peakRssMB ?? 0);
      best = Math.max(best, t.runs[0].samplesPerSec);
      log(`${t.peer}: ${t.runs[0].samplesPerSec.toFixed(0)} samples/s`);
    });
    if (best > 0) paired.push(g[r].samplesPerSec / best);
  }
  const peers = [];
  torchConfigs.forEach((_, k) => {
    if (torchRuns[k].length) peers.push({ peer: torchPeer[k], ...summarize(torchRuns[k]) });
  });
  if (fits.length) peers.push({ peer: 'gradlab fit() (default monitoring)', ...summarize(fits) });
  if (v.name === 'batch 128' && !skipTfjs) {
    const tw = [];
    // TF.js is slow and far behind: three rounds at most.
    for (let r = 0; r < Math.min(repeats, 3); r++) tw.push(await runTfjs(data, { ...v, backend: 'wasm', samples: TFJS_WASM_SAMPLES }));
    peers.push({ peer: 'tfjs 4 wasm (1 thread)', ...summarize(tw), note: `${TFJS_WASM_SAMPLES} samples` });
    log(`tfjs wasm: ${summarize(tw).median.toFixed(0)} samples/s`);
    const tc = await runTfjs(data, { ...v, backend: 'cpu', samples: TFJS_CPU_SAMPLES });
    peers.push({ peer: 'tfjs 4 cpu (pure JS)', ...summarize([tc]), note: `${TFJS_CPU_SAMPLES} samples, 1 run` });
    log(`tfjs cpu: ${tc.samplesPerSec.toFixed(0)} samples/s`);
  }
  rows.push({ variant: v.name, gradlab: summarize(g), peers, paired: paired.length ? median(paired) : null, fitPaired: fitPaired.length ? median(fitPaired) : null });
}

// The CNN (bench/cnn.mjs): a step is ≈ 60× an MLP step, so a part of the epoch (samples/s
// settles within a few dozen steps) and at most 3 rounds; --quick: 10 steps, 1 round.
const CNN_SAMPLES = quick ? 1280 : 12800;
let cnn = null;
if (!skipCnn) {
  log('\n== CNN (conv32-BN-pool-conv64-BN-pool-fc128, batch 128) ==');
  cnn = benchCnn({ ...data, n: Math.min(CNN_SAMPLES, data.n), xtr: data.xtr.subarray(0, Math.min(CNN_SAMPLES, data.n) * 784) }, quick ? 1 : Math.min(repeats, 3), log);
}

// One core busy (another process spinning): gradlab with its default threads against gradlab
// on one thread, alternating, both under the same load.
async function busyCore() {
  const spinner = spawn(process.execPath, ['-e', SPIN], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  const v = { batch: 128, bn: false };
  const auto = [];
  const one = [];
  try {
    for (let r = 0; r < Math.max(2, Math.min(repeats, 3)); r++) {
      setNumThreads(2);
      auto.push(runGradlab(data, v).samplesPerSec);
      setNumThreads(1);
      one.push(runGradlab(data, v).samplesPerSec);
      log(`busy core: 2 threads ${auto[r].toFixed(0)}, 1 thread ${one[r].toFixed(0)} samples/s`);
    }
  } finally {
    spinner.kill();
    setNumThreads(2);
  }
  return { auto: median(auto), one: median(one), ratio: median(auto.map((a, i) => a / one[i])) };
}
const busy = await busyCore();

// Memory of the user's loops (bench/memory.mjs), in a fresh process; and gradlab's peak RSS
// running only its training loop (the PyTorch peer's peak is its own process's).
function child(args) {
  return JSON.parse(execFileSync(process.execPath, ['--expose-gc', ...args], { encoding: 'utf8', maxBuffer: 1 << 22 }).trim().split('\n').pop());
}
const mem = child([path.join(here, 'memory.mjs'), '--json', '--steps', String(quick ? 2000 : 20000), '--cnn-steps', String(skipCnn ? 0 : quick ? 20 : 300)]);
const peak = child([path.join(here, 'plain-loop.mjs'), '--samples', String(SAMPLES)]);

let gemm = null;
if (existsSync(path.join(here, 'gemm.mjs'))) {
  try {
    gemm = JSON.parse(execSync(`node ${path.join(here, 'gemm.mjs')} --json ${quick ? '--quick' : ''}`, { encoding: 'utf8', maxBuffer: 1 << 22 }).trim().split('\n').pop());
  } catch (e) {
    log('gemm benchmark failed:', e.message);
  }
}

// ---- report
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toPrecision(3));
const lines = [];
lines.push(`| variant | runtime | samples/s (median) | min | max | test acc. | gradlab ÷ peer |`);
lines.push(`|---|---|---:|---:|---:|---:|---:|`);
for (const r of rows) {
  const g = r.gradlab;
  lines.push(`| ${r.variant} | **gradlab** (${getBackend()}, GEMM ${getGemmKernel()}, ${getNumThreads()} thr.) | ${fmt(g.median)} | ${fmt(g.min)} | ${fmt(g.max)} | ${(100 * g.testAccuracy).toFixed(1)}% | 1 |`);
  for (const p of r.peers) {
    lines.push(`| | ${p.peer}${p.note ? ` (${p.note})` : ''} | ${fmt(p.median)} | ${fmt(p.min)} | ${fmt(p.max)} | ${(100 * p.testAccuracy).toFixed(1)}% | ${(g.median / p.median).toFixed(2)} |`);
  }
}
const bestTorch = rows[0].peers.filter((p) => p.peer.startsWith('pytorch')).sort((a, b) => b.median - a.median)[0];
const headline = bestTorch
  ? `gradlab trains the benchmark MLP at ${(rows[0].gradlab.median / bestTorch.median).toFixed(2)}× the speed of ${bestTorch.peer} (medians; round by round against the better PyTorch: ${rows[0].paired.toFixed(2)}×)`
  : 'PyTorch not available for comparison';
const pairedLines = rows.filter((r) => r.paired !== null).map((r) => `- ${r.variant}: ${r.paired.toFixed(2)}×`);
const fitLine = rows.find((r) => r.fitPaired !== null);
const memName = { plain: 'plain training loop', eval: 'noGrad evaluation loop', cnn: 'CNN plain training loop' };
const memLines = Object.entries(mem).map(([name, r]) => `- ${memName[name]}, ${r.steps} steps: RSS ${r.start.rssMB.toFixed(0)} → ${r.end.rssMB.toFixed(0)} MB, wasm memory ${r.start.wasmReservedMB.toFixed(1)} → ${r.end.wasmReservedMB.toFixed(1)} MB (from step ${name === 'cnn' ? 10 : '1,000'} to the end)`);
const extraLines = [
  fitLine ? `- fit() with its default monitoring ÷ the plain loop (batch 128, paired): ${fitLine.fitPaired.toFixed(2)}×` : null,
  `- one core busy (another process spinning): gradlab on 2 threads ÷ gradlab on 1 thread: ${busy.ratio.toFixed(2)}× (${busy.auto.toFixed(0)} vs ${busy.one.toFixed(0)} samples/s)`,
  `- peak RSS of the training process, batch 128: gradlab ${peak.peakRssMB.toFixed(0)} MB, PyTorch ${torchPeak.toFixed(0)} MB (largest of its runs)`,
].filter(Boolean);
const table = lines.join('\n');
const cnnLines = [];
if (cnn) {
  cnnLines.push(`| runtime | samples/s (median) | min | max | test acc. | gradlab ÷ peer |`, `|---|---:|---:|---:|---:|---:|`);
  cnnLines.push(`| **gradlab** plain loop (${getBackend()}, GEMM ${getGemmKernel()}, ${getNumThreads()} thr.) | ${fmt(cnn.gradlab.median)} | ${fmt(cnn.gradlab.min)} | ${fmt(cnn.gradlab.max)} | ${(100 * cnn.gradlab.testAccuracy).toFixed(1)}% | 1 |`);
  for (const p of cnn.peers) cnnLines.push(`| ${p.peer} | ${fmt(p.median)} | ${fmt(p.min)} | ${fmt(p.max)} | ${(100 * p.testAccuracy).toFixed(1)}% | ${(cnn.gradlab.median / p.median).toFixed(2)} |`);
  if (cnn.paired !== null) cnnLines.push('', `Paired by round, gradlab ÷ that round's better PyTorch: ${cnn.rounds.map((x) => x.toFixed(2)).join(', ')} → median **${cnn.paired.toFixed(2)}×** (${cnn.samples} samples per run, test accuracy after them).`);
}
const cnnTable = cnnLines.join('\n');
console.log('\n' + headline + '\n\n' + table);
console.log('\n' + pairedLines.join('\n') + '\n' + extraLines.join('\n') + '\n' + memLines.join('\n'));
if (cnn) console.log('\nCNN:\n' + cnnTable);
if (gemm) console.log('\nGEMM:\n' + (gemm.table ?? JSON.stringify(gemm)));

if (!quick) {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpu = execSync("lscpu | sed -n 's/^Model name: *//p'", { encoding: 'utf8' }).trim() || cpu;
  } catch {}
  const md = `# Benchmark results

Written by \`npm run bench\` (bench/run.mjs) on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC.
Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}.
Repeats: ${repeats} rounds of gradlab and PyTorch, ${Math.min(repeats, 3)} of TF.js (median, min, max of samples/s over one epoch after a 20-step warm-up).

**${headline}.**

## MLP training throughput (Fashion-MNIST, 784-256-256-10 ReLU, Adam 1e-3)

${table}

TF.js runs train on a subset (noted) because they are slow; samples/s is still per epoch of that subset.

gradlab and PyTorch ran alternately, round by round. Median over rounds of gradlab ÷ that
round's better PyTorch (paired, so drift in the machine's speed cancels):

${pairedLines.join('\n')}

${cnn ? `## CNN training throughput (bench/cnn.mjs; conv32-BN-ReLU-pool, conv64-BN-ReLU-pool, fc128, Adam 1e-3, batch 128, plain loop)\n\n${cnnTable}\n\n` : ''}## fit(), a busy core, peak memory

${extraLines.join('\n')}

## Memory of the loops users write (bench/memory.mjs; no stepScope, dispose or tidy)

${memLines.join('\n')}

${gemm ? `## GEMM\n\n${gemm.table ?? '```\n' + JSON.stringify(gemm, null, 2) + '\n```'}\n` : ''}`;
  // Hand-written sections (profiles, A/B runs) below the marker are kept across runs.
  const file = path.join(here, 'RESULTS.md');
  const MARK = '<!-- Hand-written sections below: npm run bench keeps them. -->';
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const kept = old.includes(MARK) ? old.slice(old.indexOf(MARK)) : MARK + '\n';
  writeFileSync(file, md.trimEnd() + '\n\n' + kept);
  log('wrote bench/RESULTS.md');
}
