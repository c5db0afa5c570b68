// Memory of the loops users write, with no stepScope, dispose or tidy (src/memory.ts):
//   plain: opt.zeroGrad(); loss(model.forward(tensor(x)), tensor(y)).backward(); opt.step()
//   eval:  noGrad(() => { for (...) model.forward(tensor(x)) })   (no optimizer, no backward)
// on the benchmark MLP (784-256-256-10, Adam, batch 128), and the plain loop on the benchmark
// CNN (bench/cnn.mjs, [128, 1, 28, 28] inputs; --cnn-steps, 0 skips it). Prints RSS and wasm
// memory at the start and the end of each loop, and one JSON line (for bench/run.mjs) with --json.
//   node --expose-gc bench/memory.mjs [--steps N] [--cnn-steps N] [--json]
import { manualSeed, nn, optim, loss, noGrad, tensor, memoryInfo } from 'gradlab';
import { buildCnn } from './cnn.mjs';

const args = process.argv.slice(2);
const stepsArg = args.indexOf('--steps');
const STEPS = stepsArg >= 0 ? Number(args[stepsArg + 1]) : 20000;
const cnnArg = args.indexOf('--cnn-steps');
const CNN_STEPS = cnnArg >= 0 ? Number(args[cnnArg + 1]) : 200;
const B = 128;
const mb = (b) => b / 2 ** 20;

function sample() {
  globalThis.gc?.();
  const m = memoryInfo();
  return { rssMB: mb(process.memoryUsage().rss), wasmReservedMB: mb(m.reservedBytes), wasmLiveMB: mb(m.liveBytes) };
}

manualSeed(0);
const model = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 256), new nn.ReLU(), new nn.Linear(256, 10));
const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
// The user's own data: 64 batches of random pixels and labels in ordinary arrays.
const N = 64;
const xs = Array.from({ length: N }, (_, i) => Float32Array.from({ length: B * 784 }, (_, j) => ((i * 7919 + j * 104729) % 1000) / 1000));
const ys = Array.from({ length: N }, (_, i) => Float32Array.from({ length: B }, (_, j) => (i + j) % 10));

const result = {};
const t0 = performance.now();
let start = null;
const kept = [];
for (let s = 0; s < STEPS; s++) {
  opt.zeroGrad();
  const l = loss.crossEntropy(model.forward(tensor(xs[s % N], [B, 784])), tensor(ys[s % N], [B]));
  l.backward();
  opt.step();
  if (s % 1000 === 0) kept.push(l); // losses kept for a plot: they stay valid
  if (s === 1000) start = sample();
}
result.plain = { steps: STEPS, start, end: sample(), seconds: (performance.now() - t0) / 1000, keptLossesValid: kept.every((l) => Number.isFinite(l.item())) };

model.eval();
const t1 = performance.now();
let correct = 0;
noGrad(() => {
  for (let s = 0; s < STEPS; s++) {
    const out = model.forward(tensor(xs[s % N], [B, 784]));
    const d = out.data;
    correct += d[0] > d[1] ? 1 : 0;
    if (s === 1000) start = sample();
  }
});
result.eval = { steps: STEPS, start, end: sample(), seconds: (performance.now() - t1) / 1000 };

// The CNN's plain loop: the same user code on [B, 1, 28, 28] images (memory sampled from step 10).
if (CNN_STEPS > 0) {
  const cnn = buildCnn();
  const copt = new optim.Adam(cnn.parameters(), { lr: 1e-3 });
  const t2 = performance.now();
  const keptCnn = [];
  for (let s = 0; s < CNN_STEPS; s++) {
    copt.zeroGrad();
    const l = loss.crossEntropy(cnn.forward(tensor(xs[s % N], [B, 1, 28, 28])), tensor(ys[s % N], [B]));
    l.backward();
    copt.step();
    if (s % 50 === 0) keptCnn.push(l);
    if (s === Math.min(10, CNN_STEPS - 1)) start = sample();
  }
  result.cnn = { steps: CNN_STEPS, start, end: sample(), seconds: (performance.now() - t2) / 1000, keptLossesValid: keptCnn.every((l) => Number.isFinite(l.item())) };
}

if (args.includes('--json')) console.log(JSON.stringify(result));
else {
  for (const [name, r] of Object.entries(result)) {
    console.log(`${name}: ${r.steps} steps in ${r.seconds.toFixed(1)} s; RSS ${r.start.rssMB.toFixed(0)} → ${r.end.rssMB.toFixed(0)} MB; wasm memory ${r.start.wasmReservedMB.toFixed(1)} → ${r.end.wasmReservedMB.toFixed(1)} MB (live ${r.start.wasmLiveMB.toFixed(1)} → ${r.end.wasmLiveMB.toFixed(1)} MB)`);
  }
}
