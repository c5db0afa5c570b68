// A small MLP with BatchNorm and Adam, trained from the library API on a two-arm spiral.
// Run after `npm run build`:  node examples/spiral-batchnorm-adam.mjs
import { Generator, manualSeed, tensor, nn, optim, loss, noGrad } from 'gradlab';

manualSeed(0);
const gen = new Generator(1);

// Two interleaved spiral arms, 200 points each (TensorFlow Playground's spiral, noise 0.1).
const n = 200;
const xs = [];
const ys = [];
for (const [label, delta] of [[0, 0], [1, Math.PI]]) {
  for (let i = 0; i < n; i++) {
    const r = (i / n) * 5;
    const t = 1.75 * (i / n) * 2 * Math.PI + delta;
    xs.push([r * Math.sin(t) + gen.normal(0, 0.1), r * Math.cos(t) + gen.normal(0, 0.1)]);
    ys.push(label);
  }
}
const x = tensor(xs);
const y = tensor(ys);

// Linear layers left to their default init take the one recommended for the activation
// after them: He (Kaiming normal) before ReLU, Xavier for the output layer.
const model = new nn.Sequential(
  new nn.Linear(2, 32),
  new nn.BatchNorm1d(32),
  new nn.ReLU(),
  new nn.Linear(32, 32),
  new nn.BatchNorm1d(32),
  new nn.ReLU(),
  new nn.Linear(32, 2),
);
const opt = new optim.Adam(model.parameters(), { lr: 0.01 });

const batch = 40;
for (let epoch = 0; epoch < 60; epoch++) {
  const order = gen.permutation(xs.length);
  for (let b = 0; b < xs.length; b += batch) {
    const idx = Array.from(order.subarray(b, b + batch));
    const xb = tensor(idx.map((i) => xs[i]));
    const yb = tensor(idx.map((i) => ys[i]));
    opt.zeroGrad();
    const l = loss.crossEntropy(model.forward(xb), yb);
    l.backward();
    opt.step();
  }
}

model.eval();
const logits = noGrad(() => model.forward(x));
let correct = 0;
for (let i = 0; i < ys.length; i++) {
  const [a, b] = [logits.data[2 * i], logits.data[2 * i + 1]];
  if ((b > a ? 1 : 0) === ys[i]) correct++;
}
const finalLoss = noGrad(() => loss.crossEntropy(logits, y)).item();
console.log(`spiral: loss ${finalLoss.toFixed(4)}, accuracy ${((100 * correct) / ys.length).toFixed(1)}%`);
console.log(`state dict: ${Object.keys(model.stateDict()).join(', ')}`);
