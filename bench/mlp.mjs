// The MLP training benchmark (the one gradlab is judged by): gradlab against its peers, in
// one run, one after another, on the same data.
//
//   Fashion-MNIST (60,000 training images, pixels / 255); MLP 784-256-256-10, ReLU, He init,
//   softmax cross-entropy, Adam lr 1e-3, batch 128, one epoch after a 20-step warm-up.
//   Variants: BatchNorm after each hidden Linear; batch 32.
//   Peers: PyTorch (Debian python3-torch, OPENBLAS_NUM_THREADS=1, 1 and 2 threads, the
//   better one counts), TF.js 4 with its wasm backend and its pure-JS cpu backend.
//
// Usage: node bench/mlp.mjs [--quick] [--repeats N] [--write]   (run `npm run build` first)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { manualSeed, nn, optim, loss, noGrad, fit, getBackend, getNumThreads, Generator, tensor } from 'gradlab';
import { loadFashionMnist, FASHION_MNIST_DIR } from 'gradlab/node';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
export const quick = args.includes('--quick');
const repeatsArg = args.indexOf('--repeats');
export const repeats = repeatsArg >= 0 ? Number(args[repeatsArg + 1]) : quick ? 1 : 5;
export const WARMUP = 20;

/**
 * The busy-core load: a process that spins on one core. It checks now and then that its parent
 * is alive and exits when not, so a benchmark killed mid-run does not leave it spinning.
 */
export const SPIN = 'const parent = process.ppid; for (let i = 1; ; i++) if (i % 5e7 === 0 && process.ppid !== parent) process.exit(0);';

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export async function loadData(samples) {
  const train = await loadFashionMnist(FASHION_MNIST_DIR, { split: 'train' });
  const test = await loadFashionMnist(FASHION_MNIST_DIR, { split: 'test' });
  const n = Math.min(samples, train.x.shape[0]);
  return {
    n,
    xtr: train.x.data.subarray(0, n * 784),
    ytr: train.y.data.subarray(0, n),
    xte: test.x.data,
    yte: test.y.data,
    nte: test.x.shape[0],
  };
}

function accuracy(logits, labels, n) {
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if (logits[i * 10 + k] > logits[i * 10 + best]) best = k;
    if (best === labels[i]) correct++;
  }
  return correct / n;
}

function buildModel(bn) {
  manualSeed(0);
  const layers = [];
  for (const [i, o] of [[784, 256], [256, 256]]) {
    layers.push(new nn.Linear(i, o));
    if (bn) layers.push(new nn.BatchNorm1d(o));
    layers.push(new nn.ReLU());
  }
  return new nn.Sequential(...layers, new nn.Linear(256, 10));
}

/**
 * gradlab, the loop as a PyTorch user writes it: rows gathered into the user's own arrays,
 * a fresh tensor() per step, opt.zeroGrad(); loss.backward(); opt.step() — no stepScope, no
 * buffer reuse inside gradlab, nothing disposed (the automatic memory of src/memory.ts).
 */
export function runGradlab(data, { batch, bn }) {
  const model = buildModel(bn);
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const gen = new Generator(0);
  const xs = new Float32Array(batch * 784);
  const ys = new Float32Array(batch);
  const gather = (idx, start, rows) => {
    for (let r = 0; r < rows; r++) {
      const i = idx[start + r];
      xs.set(data.xtr.subarray(i * 784, i * 784 + 784), r * 784);
      ys[r] = data.ytr[i];
    }
    return [tensor(xs.subarray(0, rows * 784), [rows, 784]), tensor(ys.subarray(0, rows), [rows])];
  };
  const train = (x, y) => {
    opt.zeroGrad();
    const l = loss.crossEntropy(model.forward(x), y);
    l.backward();
    opt.step();
  };
  const warm = new Int32Array(WARMUP * batch);
  for (let i = 0; i < warm.length; i++) warm[i] = gen.int(data.n);
  for (let s = 0; s < WARMUP; s++) train(...gather(warm, s * batch, batch));
  const perm = gen.permutation(data.n);
  const t0 = performance.now();
  for (let b = 0; b < data.n; b += batch) train(...gather(perm, b, Math.min(batch, data.n - b)));
  const seconds = (performance.now() - t0) / 1000;
  model.eval();
  const logits = noGrad(() => model.forward(tensor(data.xte, [data.nte, 784])));
  return { samplesPerSec: data.n / seconds, seconds, testAccuracy: accuracy(logits.data, data.yte, data.nte) };
}

/**
 * gradlab's fit() on the same task (default monitoring and health checks), one epoch, timed
 * whole (its setup, checks and end-of-training health rules included). As the plain loop runs
 * WARMUP uncounted steps first, a fit() of WARMUP batches on another model runs first, so
 * neither is timed while V8 compiles it.
 */
export async function runFit(data, { batch, bn }) {
  const warm = buildModel(bn);
  const wn = Math.min(data.n, WARMUP * batch);
  await fit(warm, { x: tensor(data.xtr.subarray(0, wn * 784), [wn, 784]), y: tensor(data.ytr.subarray(0, wn), [wn]) }, { epochs: 1, batchSize: batch, optimizer: 'adam', lr: 1e-3, seed: 1 });
  const model = buildModel(bn);
  const x = tensor(data.xtr, [data.n, 784]);
  const y = tensor(data.ytr, [data.n]);
  const t0 = performance.now();
  const report = await fit(model, { x, y }, { epochs: 1, batchSize: batch, optimizer: 'adam', lr: 1e-3, seed: 0 });
  const seconds = (performance.now() - t0) / 1000;
  model.eval();
  const logits = noGrad(() => model.forward(tensor(data.xte, [data.nte, 784])));
  return { samplesPerSec: data.n / seconds, seconds, testAccuracy: accuracy(logits.data, data.yte, data.nte), steps: report.history.steps.length };
}

/** TF.js 4 (pure-JS 'cpu' or 'wasm' backend): tf.sequential + model.fit, the way TF.js users train. */
export async function runTfjs(data, { batch, bn, backend, samples }) {
  const require = createRequire(import.meta.url);
  const tf = await import('@tensorflow/tfjs');
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/dist/';
    wasm.setWasmPaths(dir);
  }
  await tf.setBackend(backend);
  await tf.ready();
  const n = Math.min(samples, data.n);
  const model = tf.sequential();
  for (const units of [256, 256]) {
    model.add(tf.layers.dense({ units, inputShape: model.layers.length ? undefined : [784], kernelInitializer: 'heNormal', useBias: true }));
    if (bn) model.add(tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }));
    model.add(tf.layers.activation({ activation: 'relu' }));
  }
  // TF.js has no fused logits loss in model.fit: softmax output + categorical cross-entropy.
  model.add(tf.layers.dense({ units: 10, kernelInitializer: 'glorotUniform', activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const x = tf.tensor2d(data.xtr.subarray(0, n * 784), [n, 784]);
  const y = tf.oneHot(tf.tensor1d(Int32Array.from(data.ytr.subarray(0, n)), 'int32'), 10);
  const w = Math.min(WARMUP * batch, n);
  const wx = x.slice([0, 0], [w, 784]);
  const wy = y.slice([0, 0], [w, 10]);
  await model.fit(wx, wy, { batchSize: batch, epochs: 1, shuffle: true, verbose: 0 });
  const t0 = performance.now();
  await model.fit(x, y, { batchSize: batch, epochs: 1, shuffle: true, verbose: 0 });
  const seconds = (performance.now() - t0) / 1000;
  const logits = model.predict(tf.tensor2d(data.xte, [data.nte, 784]));
  const acc = accuracy(await logits.data(), data.yte, data.nte);
  tf.disposeVariables();
  return { samplesPerSec: n / seconds, seconds, testAccuracy: acc, samples: n };
}

/** Pythons with PyTorch: Debian's (1.13) and, if set up, a PyTorch 2.x venv in bench/.venv-torch (see bench/README). */
export function torchPythons() {
  return [
    { name: 'debian', py: '/usr/bin/python3' },
    { name: 'venv', py: path.join(here, '.venv-torch/bin/python') },
  ].filter(({ py }) => {
    try {
      execFileSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
}

/** PyTorch through bench/torch_mlp.py with the given python (default: the first with torch). */
export function runTorch({ batch, bn, threads, samples, repeats: reps, py }) {
  py ??= torchPythons()[0]?.py;
  if (!py) return { skipped: 'PyTorch not found (install Debian python3-torch and libopenblas0-pthread)' };
  const out = execFileSync(
    py,
    [path.join(here, 'torch_mlp.py'), FASHION_MNIST_DIR, '--threads', String(threads), '--batch', String(batch), '--samples', String(samples), '--repeats', String(reps), ...(bn ? ['--bn'] : [])],
    { env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: String(threads) }, encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  return JSON.parse(out.trim().split('\n').pop());
}

export function summarize(runs) {
  const s = runs.map((r) => r.samplesPerSec);
  return { median: median(s), min: Math.min(...s), max: Math.max(...s), testAccuracy: median(runs.map((r) => r.testAccuracy)) };
}

export const fashionAvailable = () => existsSync(FASHION_MNIST_DIR);
export { getBackend, getNumThreads };
