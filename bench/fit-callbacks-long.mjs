// Long fit() runs with callbacks, and hyper-parameter sweeps in one process (round 3 of the long
// runs; results in bench/RESULTS-longruns.md):
//  1. fit for EPOCHS epochs on 30 examples with validation, EarlyStopping (restoreBestWeights,
//     patience larger than the run so it runs to the end), ReduceLROnPlateau with cooldown and a
//     ModelCheckpoint on the best validation loss: wasm memory (live, reserved) and RSS every
//     EPOCHS/6 epochs, after gc();
//  2. a sweep of MODELS configurations: build a model, `await fit` 20 steps, drop it;
//  3. the same sweep with a plain synchronous loop, without and with the documented remedy
//     (`await` anything between models: README "Memory needs no code").
//   node --expose-gc bench/fit-callbacks-long.mjs [--epochs 600] [--models 100] [--only fit|sweep]
import { manualSeed, nn, optim, loss, fit, memoryInfo, EarlyStopping, ModelCheckpoint, Generator, Tensor } from 'gradlab';

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const EPOCHS = opt('--epochs', 600);
const MODELS = opt('--models', 100);
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
const MB = 2 ** 20;
function sample() {
  globalThis.gc?.();
  const m = memoryInfo();
  return `wasm live ${(m.liveBytes / MB).toFixed(2)} MB (reserved ${(m.reservedBytes / MB).toFixed(1)}), JS heap ${(process.memoryUsage().heapUsed / MB).toFixed(0)} MB, RSS ${(process.memoryUsage().rss / MB).toFixed(0)} MB`;
}
function blobs(n, seed, noise = 2) {
  const g = new Generator(seed);
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    x[2 * i] = 3 * Math.cos((2 * Math.PI * (i % 3)) / 3) + noise * g.normal();
    x[2 * i + 1] = 3 * Math.sin((2 * Math.PI * (i % 3)) / 3) + noise * g.normal();
  }
  return { x: new Tensor(x, [n, 2]), y: new Tensor(y, [n]) };
}
const train = blobs(30, 1);
const val = blobs(300, 2);
const mlp = (w = 128) => new nn.Sequential(new nn.Linear(2, w), new nn.ReLU(), new nn.Linear(w, w), new nn.ReLU(), new nn.Linear(w, 3));

// 1. The long run.
if (ONLY === null || ONLY === 'fit') {
manualSeed(7);
const es = new EarlyStopping({ monitor: 'valLoss', patience: EPOCHS, restoreBestWeights: true });
let kept = null;
const ck = new ModelCheckpoint({ onBest: true, monitor: 'valLoss', save: (s) => void (kept = s) });
const trace = [];
const t0 = performance.now();
const r = await fit(mlp(), train, {
  epochs: EPOCHS,
  batchSize: 10,
  lr: 1e-2,
  seed: 3,
  validationData: val,
  schedule: (o) => new optim.ReduceLROnPlateau(o, { patience: 5, factor: 0.5, cooldown: 3, minLr: 1e-6 }),
  callbacks: [es, ck, { onEpochEnd: (l) => void ((l.epoch + 1) % Math.max(1, Math.floor(EPOCHS / 6)) === 0 && trace.push(`epoch ${l.epoch + 1}: ${sample()}`)) }],
});
const secs = (performance.now() - t0) / 1000;
const json = JSON.stringify(r);
console.log(`1. fit ${r.history.epochs.length} epochs, ${r.history.steps.length} steps in ${secs.toFixed(1)} s; stopReason ${r.stopReason}; best epoch ${es.bestEpoch}, restored ${JSON.stringify(r.restored)}; checkpoint at epoch ${kept?.epoch}`);
console.log(`   lr changes: ${r.history.epochs.filter((e, i, a) => i > 0 && e.lr !== a[i - 1].lr).length}, last lr ${r.history.epochs.at(-1).lr}; Report JSON ${(json.length / 1024).toFixed(0)} kB (${(json.length / r.history.steps.length).toFixed(0)} B per step)`);
console.log(`   findings: ${r.findings.map((f) => `${f.rule} (${f.severity}, ${f.status})`).join(', ')}`);
for (const t of trace) console.log(`   ${t}`);
}

// 2. A sweep with `await fit`.
if (ONLY === null || ONLY === 'sweep') {
const lrs = [1e-3, 3e-3, 1e-2, 3e-2];
const widths = [64, 128, 256, 512, 1024];
const at = {};
let t = performance.now();
for (let i = 0; i < MODELS; i++) {
  manualSeed(i);
  await fit(mlp(widths[i % 5]), train, { epochs: 7, batchSize: 10, lr: lrs[i % 4], seed: i, validationData: val, monitor: false });
  if ((i + 1) % Math.max(1, Math.floor(MODELS / 4)) === 0) at[i + 1] = sample();
}
console.log(`2. sweep, await fit: ${MODELS} models (widths ${widths.join('/')}, 21 steps each) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
for (const [k, v] of Object.entries(at)) console.log(`   after ${k} models: ${v}`);

// 3. A synchronous sweep (a PyTorch-style loop), without and with the remedy.
for (const remedy of [true, false]) {
  const at3 = {};
  t = performance.now();
  for (let i = 0; i < MODELS; i++) {
    manualSeed(i);
    const m = mlp(widths[i % 5]);
    const o = new optim.Adam(m.parameters(), { lr: lrs[i % 4] });
    for (let s = 0; s < 21; s++) {
      o.zeroGrad();
      loss.crossEntropy(m.forward(train.x), train.y).backward();
      o.step();
    }
    if (remedy) await new Promise((res) => setTimeout(res, 0));
    if ((i + 1) % Math.max(1, Math.floor(MODELS / 4)) === 0) at3[i + 1] = sample();
  }
  console.log(`3. sweep, synchronous loop${remedy ? ' + `await new Promise((r) => setTimeout(r, 0))` between models' : ''}: ${MODELS} models in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  for (const [k, v] of Object.entries(at3)) console.log(`   after ${k} models: ${v}`);
  await new Promise((res) => setTimeout(res, 0));
}
}
