// Monitor overhead on the benchmark MLP: 784-256-256-10 (ReLU, He init), softmax
// cross-entropy, Adam lr 1e-3, batch 128. The same fit() is timed with monitors off
// (monitor: false) and on at their default sampling (every DEFAULT_MONITOR_EVERY steps),
// interleaved, best-of/median over repeats; per-step monitoring (every: 1) is shown for
// reference. Health rules stay on in both, so the difference is the monitors alone
// (including the end-of-training evaluation probe). Data: synthetic MNIST-shaped inputs
// (784 uniform pixels in [0, 1), labels from a random linear teacher) so the benchmark
// needs no download.
//
// fit() runs with its default time-based yielding, as users get it: the wasm backend's
// memory is returned by FinalizationRegistry callbacks, which need event-loop turns.
//
// --model cnn: the `gradlab train --model cnn` preset instead (conv 3×3 ×32 padding 1, BN, ReLU,
// maxpool 2; conv 3×3 ×64, BN, ReLU, maxpool 2; Linear 3136→128, ReLU, Linear 128→10), on the
// same inputs as [N, 1, 28, 28] images: its monitors read [N, C, H, W] outputs (dead filters).
//
// Usage: NODE_OPTIONS=--expose-gc npx vite-node bench/monitor-overhead.ts [--quick] [--backend wasm|reference] [--model mlp|cnn] [--steps N] [--repeats N]
// The default backend is wasm when this runtime has WebAssembly SIMD (the faster the
// kernels, the larger the monitors' share), else reference.
import os from 'node:os';
import { Generator, Tensor, manualSeed, nn, setBackend, getBackend } from '../src/index.js';
import { fit } from '../src/train/index.js';
import { DEFAULT_MONITOR_EVERY } from '../src/diagnostics/index.js';
import { createWasmBackendSync } from '../src/kernels/wasm/index.js';
import { reference } from '../src/kernels/reference.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const arg = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
// Full: one Fashion-MNIST/MNIST epoch at batch 128 (60000/128 → 469 steps).
const steps = Number(arg('--steps') ?? (quick ? 100 : 469));
const repeats = Number(arg('--repeats') ?? (quick ? 1 : 3));
const backendName = arg('--backend') ?? 'wasm';
const modelName = arg('--model') ?? 'mlp';
if (modelName !== 'mlp' && modelName !== 'cnn') throw new Error(`--model must be mlp or cnn, got ${modelName}`);
/** One example's shape: flat pixels for the MLP, a 1×28×28 image for the CNN. */
const EXAMPLE = modelName === 'cnn' ? [1, 28, 28] : [784];
const BATCH = 128;

if (backendName === 'wasm') {
  const w = createWasmBackendSync();
  if (w) setBackend(w);
  else console.log('WebAssembly SIMD unavailable: using the reference kernels');
} else if (backendName === 'reference') setBackend(reference);
else throw new Error(`--backend must be wasm or reference, got ${backendName}`);

function data(n: number): { x: Tensor; y: Tensor } {
  const g = new Generator(42);
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = g.random();
  const w = new Float32Array(784 * 10);
  for (let i = 0; i < w.length; i++) w[i] = g.normal();
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = -Infinity;
    for (let c = 0; c < 10; c++) {
      let s = 0;
      for (let k = 0; k < 784; k++) s += x[i * 784 + k] * w[k * 10 + c];
      if (s > bv) {
        bv = s;
        best = c;
      }
    }
    y[i] = best;
  }
  return { x: new Tensor(x, [n, ...EXAMPLE]), y: new Tensor(y, [n]) };
}

function model(): nn.Sequential {
  manualSeed(0);
  if (modelName === 'cnn') {
    return new nn.Sequential(
      new nn.Conv2d(1, 32, 3, { padding: 1 }), new nn.BatchNorm2d(32), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(32, 64, 3, { padding: 1 }), new nn.BatchNorm2d(64), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Flatten(), new nn.Linear(3136, 128), new nn.ReLU(), new nn.Linear(128, 10),
    );
  }
  return new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 256), new nn.ReLU(), new nn.Linear(256, 10));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const d = data(steps * BATCH);
type Variant = { name: string; monitor: false | { every: number } | undefined };
const variants: Variant[] = [
  { name: 'monitors off', monitor: false },
  { name: `monitors on (default, every ${DEFAULT_MONITOR_EVERY})`, monitor: undefined },
  { name: 'monitors every step', monitor: { every: 1 } },
];

/** Wall-clock time of a run, and the share of it spent in the monitors (timed inside fit). */
const shares: number[][] = variants.map(() => []);
async function time(v: Variant, i: number): Promise<number> {
  // Between runs: collect garbage so the wasm backend's FinalizationRegistry returns the
  // previous run's tensors (run with NODE_OPTIONS=--expose-gc), and let the callbacks run.
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 50));
  const m = model();
  const t0 = performance.now();
  const r = await fit(m, d, { epochs: 1, batchSize: BATCH, seed: 1, monitor: v.monitor });
  const t = performance.now() - t0;
  const mon = r.monitors.durationMs ?? 0;
  shares[i].push(mon / (t - mon));
  return t;
}

// Warm-up (JIT, wasm memory growth).
const warm = modelName === 'cnn' ? 4 : 20;
await fit(model(), { x: new Tensor(d.x.data.subarray(0, warm * BATCH * 784), [warm * BATCH, ...EXAMPLE]), y: new Tensor(d.y.data.subarray(0, warm * BATCH), [warm * BATCH]) }, { epochs: 1, batchSize: BATCH });
const times: number[][] = variants.map(() => []);
for (let r = 0; r < repeats; r++) for (let i = 0; i < variants.length; i++) times[i].push(await time(variants[i], i));

// Wall-clock A/B differences are at the mercy of other load on the machine; the monitors'
// own time measured inside each run (monitor time / rest of the run) is the robust figure.
const base = median(times[0]);
if (args.includes("--verbose")) console.log(JSON.stringify(times.map((t) => t.map(Math.round))));
console.log(`gradlab monitor overhead — ${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model ?? 'unknown CPU'} (${os.cpus().length} cores), Node ${process.version}, backend ${getBackend()}`);
console.log(`${modelName === 'cnn' ? 'CNN preset (conv32-BN-pool-conv64-BN-pool-fc128)' : 'MLP 784-256-256-10'}, Adam, batch ${BATCH}, ${steps} steps per run, median of ${repeats} interleaved runs${quick ? ' (--quick)' : ''}`);
variants.forEach((v, i) => {
  const t = median(times[i]);
  const ab = i === 0 ? '' : `  wall-clock vs off ${(((t - base) / base) * 100).toFixed(1).padStart(6)}%`;
  const own = i === 0 ? '' : `  monitor time / training time ${(median(shares[i]) * 100).toFixed(1)}%`;
  console.log(`  ${v.name.padEnd(36)} ${t.toFixed(0).padStart(7)} ms  (${(t / steps).toFixed(2)} ms/step)${ab}${own}`);
});
const overhead = median(shares[1]);
console.log(`default sampling overhead (monitor time measured inside fit): ${(overhead * 100).toFixed(1)}% (budget 10%) — ${overhead <= 0.1 ? 'OK' : 'OVER BUDGET'}`);
