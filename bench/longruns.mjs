// Memory of long runs in every loop form users write (the plain, noGrad and CNN loops are in
// bench/memory.mjs): fit with monitors on every step and a validation set over many epochs; fit
// with a callback that keeps tensors; `losses.push(loss)`; a loop with a StepLR schedule,
// gradient clipping, Dropout and BatchNorm switched between train and eval every epoch;
// evaluation inside the loop (model.eval(); noGrad; model.train()); a logging loss computed
// without noGrad and never backpropagated; a custom Module; a residual conv net (BasicBlock,
// Residual); and a sweep that builds, trains and drops a model 200 times. Small models and data,
// so that each form runs thousands of steps in seconds. Prints wasm memory (live and reserved)
// and RSS early in the run and at its end (RSS includes V8 growing its heap: the JS heap itself
// stays flat); one JSON line with --json. Results: bench/RESULTS-longruns.md.
//   node --expose-gc bench/longruns.mjs [--steps N] [--models N] [--json]
import { manualSeed, nn, optim, loss, noGrad, tensor, memoryInfo, fit, ops } from 'gradlab';

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const STEPS = opt('--steps', 5000);
const MODELS = opt('--models', 200);
const mb = (b) => b / 2 ** 20;

function sample() {
  globalThis.gc?.();
  const m = memoryInfo();
  return { rssMB: mb(process.memoryUsage().rss), wasmReservedMB: mb(m.reservedBytes), wasmLiveMB: mb(m.liveBytes) };
}

// The user's data: 16 batches of 32 rows of 20 features, 4 classes, in ordinary arrays.
let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const B = 32, D = 20, C = 4, NB = 16;
const xs = Array.from({ length: NB }, () => Float32Array.from({ length: B * D }, rnd));
const ys = Array.from({ length: NB }, () => Float32Array.from({ length: B }, () => Math.floor(rnd() * C)));
const N = NB * B;
const X = tensor(Float32Array.from(xs.flatMap((a) => Array.from(a))), [N, D]);
const Y = tensor(Float32Array.from(ys.flatMap((a) => Array.from(a))), [N]);
const VX = tensor(Float32Array.from({ length: 256 * D }, rnd), [256, D]);
const VY = tensor(Float32Array.from({ length: 256 }, () => Math.floor(rnd() * C)), [256]);

const mlp = () => new nn.Sequential(new nn.Linear(D, 64), new nn.BatchNorm1d(64), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(64, 64), new nn.Tanh(), new nn.Linear(64, C));

class Custom extends nn.Module {
  a = new nn.Linear(D, 32);
  bn = new nn.BatchNorm1d(32);
  drop = new nn.Dropout(0.1);
  b = new nn.Linear(32, 32);
  c = new nn.Linear(32, C);
  forward(x) {
    const h = ops.relu(this.bn.forward(this.a.forward(x)));
    const r = ops.add(h, ops.tanh(this.b.forward(this.drop.forward(h))));
    return this.c.forward(ops.mul(r, ops.sigmoid(r)));
  }
}

const resnet = () => new nn.Sequential(
  new nn.Unflatten(1, [1, 4, 5]), new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(),
  new nn.BasicBlock(8, 8), new nn.BasicBlock(8, 16, 2), new nn.Residual(new nn.Sequential(new nn.Conv2d(16, 16, 3, { padding: 1 }), new nn.ReLU())),
  new nn.MaxPool2d(2), new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(16, C),
);

/** A plain loop of `steps` steps; `extra(model, s, x, y)` runs after each optimizer step. */
function loop(model, optimizer, steps, extra = () => {}, startAt = 200) {
  let start = null;
  for (let s = 0; s < steps; s++) {
    const x = tensor(xs[s % NB], [B, D]);
    const y = tensor(ys[s % NB], [B]);
    optimizer.zeroGrad();
    const l = loss.crossEntropy(model.forward(x), y);
    l.backward();
    optimizer.step();
    extra(model, s, x, y, l);
    if (s === startAt) start = sample();
  }
  return start;
}

const forms = {
  async 'fit, monitors every step, validation set'(steps) {
    let start = null;
    const epochs = Math.ceil(steps / NB);
    await fit(mlp(), { x: X, y: Y }, {
      epochs, batchSize: B, validationData: { x: VX, y: VY }, monitor: { every: 1 },
      callbacks: [{ onEpochEnd: (e) => void (e.epoch === 10 && (start = sample())) }],
    });
    return { steps: epochs * NB, start };
  },
  async 'fit, a callback keeping the model output every 10 steps'(steps) {
    let start = null;
    const kept = [];
    const epochs = Math.ceil(steps / NB);
    await fit(mlp(), { x: X, y: Y }, {
      epochs, batchSize: B, yieldEvery: 0,
      callbacks: [{ onBatchEnd: (l, ctx) => { if (l.step % 10 === 0) kept.push(noGrad(() => ctx.model.forward(VX))); if (l.step === 200) start = sample(); } }],
    });
    return { steps: epochs * NB, start, note: `kept ${kept.length} outputs, first still readable: ${Number.isFinite(kept[0].data[0])}` };
  },
  'losses.push(loss)'(steps) {
    const model = mlp();
    const losses = [];
    const start = loop(model, new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }), steps, (m, s, x, y, l) => losses.push(l));
    return { steps, start, note: `first kept loss ${losses[0].item().toFixed(4)}, last ${losses.at(-1).item().toFixed(4)}` };
  },
  'StepLR + clipGradNorm + Dropout + BatchNorm, train/eval switched every epoch'(steps) {
    const model = mlp();
    const o = new optim.Adam(model.parameters(), { lr: 1e-2 });
    const sch = new optim.StepLR(o, { stepSize: 5, gamma: 0.9 });
    let start = null;
    for (let s = 0; s < steps; s++) {
      if (s % NB === 0) model.train();
      o.zeroGrad();
      loss.crossEntropy(model.forward(tensor(xs[s % NB], [B, D])), tensor(ys[s % NB], [B])).backward();
      optim.clipGradNorm(model.parameters(), 1);
      o.step();
      if (s % NB === NB - 1) {
        model.eval();
        noGrad(() => { for (let k = 0; k < 4; k++) model.forward(tensor(xs[k], [B, D])).argmax(1); });
        sch.step();
      }
      if (s === 200) start = sample();
    }
    return { steps, start };
  },
  'evaluation inside the loop: model.eval(); noGrad; model.train()'(steps) {
    const model = mlp();
    const start = loop(model, new optim.Adam(model.parameters(), { lr: 1e-3 }), steps, (m, s, x, y) => {
      if (s % 10 === 0) { m.eval(); noGrad(() => loss.crossEntropy(m.forward(x), y).item()); m.train(); }
    });
    return { steps, start };
  },
  'a logging loss without noGrad, never backpropagated'(steps) {
    const model = mlp();
    const start = loop(model, new optim.Adam(model.parameters(), { lr: 1e-3 }), steps, (m, s, x, y) => loss.crossEntropy(m.forward(x), y).item());
    return { steps, start };
  },
  'a custom Module (ops in forward, not Sequential)'(steps) {
    const model = new Custom();
    return { steps, start: loop(model, new optim.AdamW(model.parameters(), { lr: 1e-3 }), steps) };
  },
  'a residual conv net (BasicBlock, Residual), eval every epoch'(steps) {
    const model = resnet();
    const s5 = Math.ceil(steps / 5);
    const start = loop(model, new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }), s5, (m, s, x) => {
      if (s % NB === 0) { m.eval(); noGrad(() => m.forward(x)); m.train(); }
    }, 50);
    return { steps: s5, start };
  },
  async 'a sweep: build, train 100 steps, drop, in a synchronous loop'() {
    let start = null;
    for (let i = 0; i < MODELS; i++) {
      const model = mlp();
      loop(model, new optim.Adam(model.parameters(), { lr: 1e-3 * (1 + (i % 5)) }), 100, undefined, -1);
      if (i === 10) start = sample();
    }
    return { steps: MODELS * 100, start, note: `${MODELS} models` };
  },
  async 'a sweep with fit (build, fit 100 steps, drop)'() {
    let start = null;
    for (let i = 0; i < MODELS; i++) {
      await fit(mlp(), { x: X, y: Y }, { epochs: Math.ceil(100 / NB), batchSize: B, lr: 1e-3 * (1 + (i % 5)) });
      if (i === 10) start = sample();
    }
    return { steps: MODELS * Math.ceil(100 / NB) * NB, start, note: `${MODELS} models` };
  },
};

// Warm up: the thread pool's workers and their GEMM scratch (≈ 5 MB each, allocated once) start
// during the first fit, and would otherwise count as growth of the first form.
await fit(mlp(), { x: X, y: Y }, { epochs: 20, batchSize: B, validationData: { x: VX, y: VY }, monitor: { every: 1 } });

const result = {};
for (const [name, run] of Object.entries(forms)) {
  manualSeed(1);
  const t0 = performance.now();
  const r = await run(STEPS);
  result[name] = { ...r, end: sample(), seconds: (performance.now() - t0) / 1000 };
}
if (args.includes('--json')) console.log(JSON.stringify(result));
else {
  for (const [name, r] of Object.entries(result)) {
    console.log(`${name}: ${r.steps} steps in ${r.seconds.toFixed(1)} s; wasm live ${r.start.wasmLiveMB.toFixed(2)} → ${r.end.wasmLiveMB.toFixed(2)} MB (reserved ${r.start.wasmReservedMB.toFixed(1)} → ${r.end.wasmReservedMB.toFixed(1)} MB); RSS ${r.start.rssMB.toFixed(0)} → ${r.end.rssMB.toFixed(0)} MB${r.note ? `; ${r.note}` : ''}`);
  }
}
