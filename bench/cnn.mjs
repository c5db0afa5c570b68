// The CNN training benchmark (issue 15): gradlab's plain PyTorch-style loop against PyTorch on
// the same net and data. bench/run.mjs runs it beside the MLP cases; alone:
//   node bench/cnn.mjs [--quick] [--repeats N] [--samples S]   (run `npm run build` first)
//
//   Fashion-MNIST as [N, 1, 28, 28], pixels / 255; conv 3×3 ×32 padding 1, BatchNorm2d, ReLU,
//   maxpool 2; conv 3×3 ×64 padding 1, BatchNorm2d, ReLU, maxpool 2; Linear 3136→128, ReLU,
//   Linear 128→10; softmax cross-entropy, Adam lr 1e-3, batch 128, a pass over the samples after
//   a 10-step warm-up. Peer: bench/torch_cnn.py (PyTorch's own loop and default init).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { manualSeed, nn, optim, loss, noGrad, Generator, tensor, getBackend, getNumThreads } from 'gradlab';
import { FASHION_MNIST_DIR } from 'gradlab/node';
import { loadData, median, summarize, torchPythons, quick, repeats, fashionAvailable } from './mlp.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const WARMUP = 10;
const PIXELS = 784;

/** The benchmark CNN (the layers of `gradlab train --model cnn` plus its classifier). */
export function buildCnn() {
  manualSeed(0);
  return new nn.Sequential(
    new nn.Conv2d(1, 32, 3, { padding: 1 }), new nn.BatchNorm2d(32), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3, { padding: 1 }), new nn.BatchNorm2d(64), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(3136, 128), new nn.ReLU(), new nn.Linear(128, 10),
  );
}

function accuracy(model, data) {
  model.eval();
  let correct = 0;
  const B = 1000;
  for (let i = 0; i < data.nte; i += B) {
    const rows = Math.min(B, data.nte - i);
    const logits = noGrad(() => model.forward(tensor(data.xte.subarray(i * PIXELS, (i + rows) * PIXELS), [rows, 1, 28, 28]))).data;
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let k = 1; k < 10; k++) if (logits[r * 10 + k] > logits[r * 10 + best]) best = k;
      if (best === data.yte[i + r]) correct++;
    }
  }
  return correct / data.nte;
}

/**
 * gradlab, the loop as a PyTorch user writes it (as bench/mlp.mjs's runGradlab): images gathered
 * into the user's own array, a fresh tensor() of shape [B, 1, 28, 28] per step, opt.zeroGrad();
 * loss.backward(); opt.step() — no stepScope, nothing disposed.
 */
export function runCnnGradlab(data, { batch = 128 } = {}) {
  const model = buildCnn();
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const gen = new Generator(0);
  const xs = new Float32Array(batch * PIXELS);
  const ys = new Float32Array(batch);
  const gather = (idx, start, rows) => {
    for (let r = 0; r < rows; r++) {
      const i = idx[start + r];
      xs.set(data.xtr.subarray(i * PIXELS, (i + 1) * PIXELS), r * PIXELS);
      ys[r] = data.ytr[i];
    }
    return [tensor(xs.subarray(0, rows * PIXELS), [rows, 1, 28, 28]), tensor(ys.subarray(0, rows), [rows])];
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
  return { samplesPerSec: data.n / seconds, seconds, testAccuracy: accuracy(model, data) };
}

/** PyTorch through bench/torch_cnn.py with the given python and threads. */
export function runTorchCnn({ batch = 128, threads, samples, py }) {
  const out = execFileSync(
    py,
    [path.join(here, 'torch_cnn.py'), FASHION_MNIST_DIR, '--threads', String(threads), '--batch', String(batch), '--samples', String(samples)],
    { env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: String(threads) }, encoding: 'utf8', maxBuffer: 1 << 20, cwd: here },
  );
  return JSON.parse(out.trim().split('\n').pop());
}

/** PyTorch peers as for the MLP: Debian's 1.13 on 1 thread, the venv's 2.x on 2 threads (else Debian's on 2). */
export function torchCnnConfigs() {
  const pythons = torchPythons();
  const venv = pythons.find((p) => p.name === 'venv');
  const debian = pythons.find((p) => p.name === 'debian');
  return [...(debian ? [{ py: debian.py, threads: 1 }] : []), ...(venv ? [{ py: venv.py, threads: 2 }] : debian ? [{ py: debian.py, threads: 2 }] : [])];
}

/**
 * gradlab and each PyTorch peer alternately, `rounds` times; each round's gradlab ÷ that round's
 * better PyTorch is kept and their median is the paired ratio (drift of a shared machine cancels).
 */
export function benchCnn(data, rounds, log = console.error) {
  const configs = torchCnnConfigs();
  const g = [];
  const torchRuns = configs.map(() => []);
  const peerNames = configs.map(() => null);
  const paired = [];
  for (let r = 0; r < rounds; r++) {
    g.push(runCnnGradlab(data));
    log(`CNN gradlab plain loop (${getBackend()}, ${getNumThreads()} thread(s)): ${g[r].samplesPerSec.toFixed(0)} samples/s`);
    let best = 0;
    configs.forEach((c, k) => {
      const t = runTorchCnn({ threads: c.threads, py: c.py, samples: data.n });
      peerNames[k] = t.peer;
      torchRuns[k].push(t.runs[0]);
      best = Math.max(best, t.runs[0].samplesPerSec);
      log(`CNN ${t.peer}: ${t.runs[0].samplesPerSec.toFixed(0)} samples/s`);
    });
    if (best > 0) paired.push(g[r].samplesPerSec / best);
  }
  const peers = configs.map((_, k) => ({ peer: peerNames[k], ...summarize(torchRuns[k]) }));
  return { samples: data.n, gradlab: summarize(g), peers, paired: paired.length ? median(paired) : null, rounds: paired };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!fashionAvailable()) {
    console.log('bench/cnn.mjs: Fashion-MNIST not found (apt-get install dataset-fashion-mnist); nothing to measure.');
    process.exit(0);
  }
  const sArg = process.argv.indexOf('--samples');
  const samples = sArg >= 0 ? Number(process.argv[sArg + 1]) : quick ? 2000 : 12800;
  const r = benchCnn(await loadData(samples), quick ? 1 : repeats);
  console.log(`CNN, ${r.samples} samples: gradlab ${r.gradlab.median.toFixed(0)} samples/s (${(100 * r.gradlab.testAccuracy).toFixed(1)}%)`);
  for (const p of r.peers) console.log(`  ${p.peer}: ${p.median.toFixed(0)} samples/s (${(100 * p.testAccuracy).toFixed(1)}%)`);
  if (r.paired !== null) console.log(`  gradlab ÷ the better PyTorch, paired by round: ${r.rounds.map((x) => x.toFixed(2)).join(', ')} → median ${r.paired.toFixed(2)}×`);
}
