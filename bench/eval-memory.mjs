// One noGrad forward of a whole evaluation set at once, the PyTorch way
// (`noGrad(() => model.forward(tensor(x, [n, 1, 28, 28])))`): wasm memory reserved, RSS, time.
//   node bench/eval-memory.mjs [TREE] cnn|cnn-module|mlp N [BATCH]
// (BATCH: the usual loop instead, a tensor() and a forward per BATCH rows)
// cnn: bench/cnn.mjs's buildCnn() in eval mode (a Sequential); cnn-module: the same layers called
// one by one from a user's nn.Module subclass; mlp: 784-256-256-10 ReLU. TREE (default: this
// checkout) is a built tree, for before/after pairs (/work/wt/base4). bench/eval-memory.py
// measures PyTorch's peak RSS for the same forward.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const tree = !['cnn', 'cnn-module', 'mlp'].includes(args[0]) ? path.resolve(args.shift()) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [kind, nArg, batchArg] = args;
const n = Number(nArg);
const batch = Number(batchArg ?? n);
if (!['cnn', 'cnn-module', 'mlp'].includes(kind) || !(n > 0) || !(batch > 0)) {
  console.error('usage: node bench/eval-memory.mjs [TREE] cnn|cnn-module|mlp N [BATCH]');
  process.exit(2);
}
const g = await import(path.join(tree, 'dist/index.js'));
const { buildCnn } = await import(path.join(tree, 'bench/cnn.mjs'));
const { nn, noGrad, tensor, memoryInfo, manualSeed } = g;

let model;
if (kind === 'mlp') {
  manualSeed(0);
  model = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 256), new nn.ReLU(), new nn.Linear(256, 10));
} else if (kind === 'cnn') model = buildCnn();
else {
  const layers = buildCnn().layers;
  class Net extends nn.Module {
    constructor() {
      super();
      [this.conv1, this.bn1, this.relu1, this.pool1, this.conv2, this.bn2, this.relu2, this.pool2, this.flatten, this.fc1, this.relu3, this.fc2] = layers;
    }
    // One statement a layer: a nested call (pool(relu(bn(conv(x))))) keeps each temporary
    // reachable from the caller's frame until the whole expression returns, so their JS copies
    // pile up (20,000 images: 10 GB peak RSS against 6.2 GB).
    forward(x) {
      x = this.conv1.forward(x);
      x = this.bn1.forward(x);
      x = this.relu1.forward(x);
      x = this.pool1.forward(x);
      x = this.conv2.forward(x);
      x = this.bn2.forward(x);
      x = this.relu2.forward(x);
      x = this.pool2.forward(x);
      x = this.flatten.forward(x);
      x = this.fc1.forward(x);
      x = this.relu3.forward(x);
      return this.fc2.forward(x);
    }
  }
  model = new Net();
}
model.eval();
const features = kind === 'mlp' ? [784] : [1, 28, 28];
const xs = new Float32Array(n * 784);
for (let i = 0; i < xs.length; i++) xs[i] = ((i * 2654435761) % 1000) / 1000;
const t0 = performance.now();
let y;
try {
  if (batch >= n) y = noGrad(() => model.forward(tensor(xs, [n, ...features])));
  else {
    const out = new Float32Array(n * 10);
    for (let i = 0; i < n; i += batch) {
      const rows = Math.min(batch, n - i);
      const yb = noGrad(() => model.forward(tensor(xs.subarray(i * 784, (i + rows) * 784), [rows, ...features])));
      out.set(yb.data, i * 10);
    }
    y = tensor(out, [n, 10]);
  }
} catch (e) {
  console.log(`${kind} ${n}: failed after ${((performance.now() - t0) / 1000).toFixed(1)} s, ${(memoryInfo().reservedBytes / 2 ** 20).toFixed(0)} MB reserved: ${e.message.split('\n')[0]}`);
  process.exit(1);
}
const s = (performance.now() - t0) / 1000;
let sum = 0;
for (const v of y.data) sum += v;
console.log(`${kind} ${n}: [${y.shape}] ${s.toFixed(1)} s, ${(memoryInfo().reservedBytes / 2 ** 20).toFixed(0)} MB wasm reserved, ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB RSS (checksum ${sum.toFixed(3)})`);
