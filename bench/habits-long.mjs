// Long runs as users write them, round 4 (results: bench/RESULTS-longruns.md):
//   cnn     a plain PyTorch-style loop over two small conv nets on 28×28 digits (conv-BN2d-ReLU-
//           MaxPool ×2; a stem and a residual BasicBlock), batch 8: model.eval() + noGrad
//           evaluation every epoch, model.train() back, a checkpoint every epoch (saveModel,
//           saveTorchFile, saveSafetensors in turn), the best weights kept by hand (snapshotState).
//   habits  5,000+ steps of an MLP loop with one habit each: outputs.push(out.detach()), a new
//           optimizer every epoch, a new DataLoader every epoch, model.stateDict() every step,
//           console.log(loss) every step (to /dev/null), x.grad and a weight's .grad read every
//           step, a Python-style history dict growing per step, losses.push(loss).
//   speed   steps/s in ten windows of one 20,000-step MLP run and one 2,000-step CNN run.
// Each form prints wasm memory (live), the JS heap and RSS (after gc()) at 10% of its steps and at
// its end, and its time per step in the first and the last 10% of the steps.
//   node --expose-gc bench/habits-long.mjs [--only cnn|habits|speed] [--form TEXT] [--steps N] [--cnn-steps N]
//     [--mlp-steps N] [--cnn-speed-steps N] [--json]
import { mkdtempSync, rmSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Console } from 'node:console';
import { manualSeed, nn, optim, loss, noGrad, tensor, memoryInfo, DataLoader, TensorDataset, snapshotState } from 'gradlab';
import { loadBuiltinMnistSplits, saveModel, saveTorchFile, saveSafetensors } from 'gradlab/node';

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
const STEPS = opt('--steps', 5000);
const CNN_STEPS = opt('--cnn-steps', 3000);
const mb = (b) => b / 2 ** 20;
const round = (v, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

function sample() {
  globalThis.gc?.();
  const m = memoryInfo();
  const u = process.memoryUsage();
  return { wasmLiveMB: round(mb(m.liveBytes)), heapMB: round(mb(u.heapUsed)), rssMB: round(mb(u.rss), 0) };
}

/** Times of each step → ms per step in the first and last 10%, and in `windows` equal windows. */
function timing(times, windows = 10) {
  const avg = (a) => a.reduce((s, v) => s + v, 0) / a.length;
  const n = Math.floor(times.length / windows);
  const w = Array.from({ length: windows }, (_, i) => round(avg(times.slice(i * n, (i + 1) * n)), 3));
  const sorted = [...w].sort((a, b) => a - b);
  // Drift is called only when monotone: every window at least the one before.
  const monotone = w.every((v, i) => i === 0 || v >= w[i - 1]);
  return { firstMs: w[0], lastMs: w[windows - 1], windowsMs: w, spread: round(sorted[windows - 1] / sorted[0]), monotoneRise: monotone };
}

/** Runs `step(s)` `steps` times; samples memory at 10% and at the end; per-step times. */
async function run(name, steps, step, { perEpoch = null, epochLen = 64 } = {}) {
  const times = new Float64Array(steps);
  let start = null;
  for (let s = 0; s < steps; s++) {
    const t0 = performance.now();
    step(s);
    times[s] = performance.now() - t0;
    if (perEpoch && (s + 1) % epochLen === 0) await perEpoch(Math.floor(s / epochLen));
    if (s + 1 === Math.floor(steps / 10)) start = sample();
  }
  const end = sample();
  const r = { name, steps, start, end, ...timing(Array.from(times)) };
  console.log(`${name}: ${steps} steps; wasm live ${start.wasmLiveMB} → ${end.wasmLiveMB} MB, JS heap ${start.heapMB} → ${end.heapMB} MB, RSS ${start.rssMB} → ${end.rssMB} MB; ms/step first 10% ${r.firstMs}, last 10% ${r.lastMs} (windows ${r.windowsMs.join(' ')}; spread ${r.spread}×${r.monotoneRise ? ', monotone rise' : ''})`);
  return r;
}

const results = [];

// ---------------------------------------------------------------- conv nets, PyTorch-style loop
const { train: mnist, test: mnistTest } = await loadBuiltinMnistSplits();
const TRAIN = 512, TEST = 256, CB = 8;
const trainX = tensor(mnist.x.data.slice(0, TRAIN * 784), [TRAIN, 784]);
const trainY = tensor(mnist.y.data.slice(0, TRAIN), [TRAIN]);
const testX = tensor(mnistTest.x.data.slice(0, TEST * 784), [TEST, 784]);
const testY = tensor(mnistTest.y.data.slice(0, TEST), [TEST]);

// nn.Unflatten first: saveModel's model files describe conv nets over rows of C·H·W features (an
// NCHW-first Sequential is refused with that advice; saveTorchFile and saveSafetensors take either).
const convNet = () => new nn.Sequential(
  new nn.Unflatten(1, [1, 28, 28]), new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Conv2d(8, 16, 3, { padding: 1 }), new nn.BatchNorm2d(16), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Flatten(), new nn.Linear(16 * 7 * 7, 10),
);
const resNet = () => new nn.Sequential(
  new nn.Unflatten(1, [1, 28, 28]), new nn.Conv2d(1, 8, 3, { padding: 1, stride: 2 }), new nn.BatchNorm2d(8), new nn.ReLU(),
  new nn.BasicBlock(8, 8), new nn.BasicBlock(8, 16, 2), new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(16, 10),
);

async function cnnLoop(name, build, steps) {
  manualSeed(1);
  const model = build();
  const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const loader = new DataLoader(new TensorDataset(trainX, trainY), { batchSize: CB, shuffle: true });
  const dir = mkdtempSync(join(tmpdir(), 'habits-'));
  let it = loader[Symbol.iterator]();
  let bestAcc = -1, best = null, bestEpoch = -1;
  const accs = [];
  const r = await run(name, steps, () => {
    let n = it.next();
    if (n.done) { it = loader[Symbol.iterator](); n = it.next(); }
    const [x, y] = n.value;
    optimizer.zeroGrad();
    const l = loss.crossEntropy(model.forward(x), y);
    l.backward();
    optimizer.step();
  }, {
    epochLen: TRAIN / CB,
    perEpoch: async (epoch) => {
      model.eval();
      const correct = noGrad(() => {
        let c = 0;
        for (let i = 0; i < TEST; i += 64) {
          const pred = model.forward(testX.narrow(0, i, 64)).argmax(1);
          c += pred.eq(testY.narrow(0, i, 64)).sum().item();
        }
        return c;
      });
      model.train();
      const acc = correct / TEST;
      accs.push(acc);
      // The best weights kept by hand: stateDict() aliases the live tensors (as PyTorch's state_dict),
      // so the snapshot copies them (PyTorch: copy.deepcopy(model.state_dict())): snapshotState.
      if (acc > bestAcc) {
        bestAcc = acc; bestEpoch = epoch;
        best = snapshotState(model);
      }
      const kind = epoch % 3;
      if (kind === 0) await saveModel(join(dir, 'model.gradlab'), model);
      else if (kind === 1) await saveTorchFile(join(dir, 'ck.pt'), { epoch, model_state_dict: model.stateDict(), optimizer_state_dict: optimizer.torchStateDict() });
      else await saveSafetensors(join(dir, 'model.safetensors'), model.stateDict());
    },
  });
  // The kept best weights are those of the best epoch, not the live ones: reload and re-evaluate.
  model.loadStateDict(best);
  model.eval();
  const again = noGrad(() => model.forward(testX).argmax(1).eq(testY).sum().item()) / TEST;
  rmSync(dir, { recursive: true, force: true });
  r.bestEpoch = bestEpoch; r.bestAcc = bestAcc; r.reloadedAcc = again; r.lastAcc = accs.at(-1);
  console.log(`  best epoch ${bestEpoch + 1} of ${accs.length}: ${bestAcc}; reloaded best: ${again}; last epoch ${accs.at(-1)}`);
  return r;
}

if (!only || only === 'cnn') {
  results.push(await cnnLoop('cnn: conv-BN2d-ReLU-MaxPool ×2', convNet, CNN_STEPS));
  results.push(await cnnLoop('cnn: stem + BasicBlock ×2', resNet, CNN_STEPS));
}

// ---------------------------------------------------------------- habits that keep things alive
let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const B = 32, D = 20, C = 4, NB = 16;
const xs = Array.from({ length: NB }, () => Float32Array.from({ length: B * D }, rnd));
const ys = Array.from({ length: NB }, () => Float32Array.from({ length: B }, () => Math.floor(rnd() * C)));
const X = tensor(Float32Array.from(xs.flatMap((a) => Array.from(a))), [NB * B, D]);
const Y = tensor(Float32Array.from(ys.flatMap((a) => Array.from(a))), [NB * B]);
const mlp = () => new nn.Sequential(new nn.Linear(D, 64), new nn.BatchNorm1d(64), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(64, 64), new nn.Tanh(), new nn.Linear(64, C));

/** A plain loop with `habit(ctx)` after each step; ctx has model, optimizer (replaceable), x, y, out, l, s. */
function habitLoop(name, steps, habit, { inputGrad = false, perEpoch = null } = {}) {
  manualSeed(2);
  const ctx = { model: mlp(), kept: [] };
  ctx.optimizer = new optim.SGD(ctx.model.parameters(), { lr: 0.05, momentum: 0.9 });
  return run(name, steps, (s) => {
    const x = tensor(xs[s % NB], [B, D], { requiresGrad: inputGrad });
    const y = tensor(ys[s % NB], [B]);
    ctx.optimizer.zeroGrad();
    const out = ctx.model.forward(x);
    const l = loss.crossEntropy(out, y);
    l.backward();
    ctx.optimizer.step();
    Object.assign(ctx, { x, y, out, l, s });
    habit(ctx);
  }, { perEpoch, epochLen: NB });
}

if (!only || only === 'habits') {
  const devnull = new Console(createWriteStream('/dev/null'));
  const forms = {
    'baseline (loss.item() only)': (c) => c.kept.push(c.l.item()),
    'losses.push(loss)': (c) => c.kept.push(c.l),
    'outputs.push(out.detach())': (c) => c.kept.push(c.out.detach()),
    'a new optimizer every epoch (Adam)': (c) => { if ((c.s + 1) % NB === 0) c.optimizer = new optim.Adam(c.model.parameters(), { lr: 1e-3 }); },
    'a new DataLoader every epoch': (c) => {
      if ((c.s + 1) % NB === 0) for (const [bx, by] of new DataLoader(new TensorDataset(X, Y), { batchSize: B, shuffle: true })) c.kept[0] = bx.shape[0] + by.shape[0];
    },
    'model.stateDict() every step': (c) => { c.kept[0] = c.model.stateDict(); },
    'console.log(loss) every step': (c) => devnull.log(c.l),
    'x.grad and weight.grad read every step': (c) => { c.kept[0] = c.x.grad.data[0] + c.model[0].weight.grad.data[0]; },
    'a history dict growing per step': (c) => {
      const h = (c.kept[0] ??= { loss: [], acc: [], lr: [], gradNorm: [] });
      h.loss.push(c.l.item());
      h.acc.push(c.out.argmax(1).eq(c.y).float().mean().item());
      h.lr.push(c.optimizer.paramGroups[0].lr);
      h.gradNorm.push(Math.hypot(...c.model[0].weight.grad.data.subarray(0, 64)));
    },
  };
  for (const [name, habit] of Object.entries(forms)) {
    if (args.includes('--form') && !name.includes(args[args.indexOf('--form') + 1])) continue;
    results.push(await habitLoop(`habit: ${name}`, STEPS, habit, { inputGrad: name.startsWith('x.grad') }));
  }
  // The same new optimizer every epoch, with an event-loop turn per epoch (what an awaited checkpoint write gives).
  if (!args.includes('--form') || 'optimizer'.includes(args[args.indexOf('--form') + 1])) {
    results.push(await habitLoop('habit: a new optimizer every epoch, await per epoch', STEPS, forms['a new optimizer every epoch (Adam)'], { perEpoch: () => new Promise((r) => setTimeout(r, 0)) }));
  }
}

// ---------------------------------------------------------------- speed over time, one process
if (!only || only === 'speed') {
  results.push(await habitLoop('speed: MLP', opt('--mlp-steps', 20000), () => {}));
  manualSeed(3);
  const model = convNet();
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const cx = Array.from({ length: 16 }, (_, i) => trainX.narrow(0, i * 32, 32).clone());
  const cy = Array.from({ length: 16 }, (_, i) => trainY.narrow(0, i * 32, 32).clone());
  results.push(await run('speed: CNN batch 32', opt('--cnn-speed-steps', 2000), (s) => {
    optimizer.zeroGrad();
    loss.crossEntropy(model.forward(cx[s % 16]), cy[s % 16]).backward();
    optimizer.step();
  }));
}

if (args.includes('--json')) console.log(JSON.stringify({ date: new Date().toISOString(), results }));
