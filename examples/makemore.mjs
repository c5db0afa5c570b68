// Karpathy's "Building makemore Part 3: Activations & Gradients, BatchNorm", ported line by line:
// a character-level MLP with a hand-written batch norm, the diagnostics the lecture plots (here
// printed: tanh saturation, dead units, activation and gradient statistics, histograms, grad:data
// and update:data ratios), and the "PyTorch-ified" version with user-written Linear, BatchNorm1d
// and Tanh classes in a 6-layer stack. test/makemore.test.ts checks the same port against PyTorch.
// Run after `npm run build`:  node examples/makemore.mjs [--quick] [names.txt]
// (names.txt: one word a line, as the lecture's; without it, a built-in list of synthetic names).
import { readFileSync } from 'node:fs';
import { Generator, multinomial, noGrad, ones, ops as F, randint, randn, tensor, zeros } from 'gradlab';

const quick = process.argv.includes('--quick');
const file = process.argv.slice(2).find((a) => !a.startsWith('--'));

// words = open('names.txt', 'r').read().splitlines()
function syntheticNames(n = 400, s = 12345) {
  const SYL = ['ka', 'ri', 'an', 'na', 'el', 'la', 'mo', 'jo', 'se', 'ly', 'ch', 'ar', 'de', 'mi', 'to', 've', 'sa', 'ry', 'be', 'lu', 'zo', 'qu', 'ix', 'on', 'ha', 'ne', 'wy', 'fi', 'gu', 'pe'];
  const words = [];
  for (let k = 0; k < n; k++) {
    s = (s * 48271) % 2147483647;
    let w = '';
    for (let j = 0, m = 2 + (s % 3); j < m; j++) {
      s = (s * 48271) % 2147483647;
      w += SYL[s % SYL.length];
    }
    words.push(w);
  }
  return words;
}
const words = file ? readFileSync(file, 'utf8').split(/\r?\n/).filter((w) => w.length > 0) : syntheticNames();
if (words.length < 10) throw new Error(`${file}: ${words.length} words; the splits need at least 10`);
if (words.some((w) => w.includes('.'))) throw new Error(`${file}: a word contains '.', which the model uses as the end-of-word token`);

// build the vocabulary of characters and mappings to/from integers
const chars = [...new Set(words.join(''))].sort();
const stoi = Object.fromEntries(chars.map((s, i) => [s, i + 1]));
stoi['.'] = 0;
const itos = Object.fromEntries(Object.entries(stoi).map(([s, i]) => [i, s]));
const vocabSize = Object.keys(itos).length;
console.log(`${words.length} words, vocabulary of ${vocabSize}`);

// build the dataset
const blockSize = 3; // context length: how many characters do we take to predict the next one?
function buildDataset(words) {
  const X = [];
  const Y = [];
  for (const w of words) {
    let context = Array(blockSize).fill(0);
    for (const ch of w + '.') {
      const ix = stoi[ch];
      X.push(context);
      Y.push(ix);
      context = [...context.slice(1), ix]; // crop and append
    }
  }
  const [Xt, Yt] = [tensor(X), tensor(Y)];
  console.log(Xt.shape, Yt.shape);
  return [Xt, Yt];
}
const n1 = Math.floor(0.8 * words.length);
const n2 = Math.floor(0.9 * words.length);
const [Xtr, Ytr] = buildDataset(words.slice(0, n1)); // 80%
const [Xdev, Ydev] = buildDataset(words.slice(n1, n2)); // 10%
const [Xte, Yte] = buildDataset(words.slice(n2)); // 10%

// ---- part 1: MLP revisited --------------------------------------------------------------------
const nEmbd = 10; // the dimensionality of the character embedding vectors
const nHidden = 200; // the number of neurons in the hidden layer of the MLP

let g = new Generator().manualSeed(2147483647); // for reproducibility
const C = randn([vocabSize, nEmbd], { generator: g });
const W1 = randn([nEmbd * blockSize, nHidden], { generator: g }).mul((5 / 3) / (nEmbd * blockSize) ** 0.5);
const b1 = randn(nHidden, { generator: g }).mul(0.01);
const W2 = randn([nHidden, vocabSize], { generator: g }).mul(0.01);
const b2 = randn(vocabSize, { generator: g }).mul(0);
// BatchNorm parameters
const bngain = ones([1, nHidden]);
const bnbias = zeros([1, nHidden]);
let bnmeanRunning = zeros([1, nHidden]);
let bnstdRunning = ones([1, nHidden]);

const parameters = [C, W1, b1, W2, b2, bngain, bnbias];
console.log(parameters.reduce((n, p) => n + p.numel(), 0)); // number of parameters in total
for (const p of parameters) p.requiresGrad = true;

const maxSteps = quick ? 300 : 5000;
const batchSize = 32;
const lossi = [];
for (let i = 0; i < maxSteps; i++) {
  // minibatch construct
  const ix = randint(0, Xtr.shape[0], [batchSize], { generator: g });
  const [Xb, Yb] = [Xtr[ix], Ytr[ix]]; // batch X,Y

  // forward pass
  const emb = C[Xb]; // embed the characters into vectors
  const embcat = emb.view(emb.shape[0], -1); // concatenate the vectors
  // Linear layer
  let hpreact = embcat.matmul(W1).add(b1); // hidden layer pre-activation
  // BatchNorm layer
  const bnmeani = hpreact.mean(0, { keepdim: true });
  const bnstdi = hpreact.std(0, { keepdim: true });
  hpreact = bngain.mul(hpreact.sub(bnmeani)).div(bnstdi).add(bnbias);
  noGrad(() => {
    bnmeanRunning = bnmeanRunning.mul(0.999).add(bnmeani.mul(0.001));
    bnstdRunning = bnstdRunning.mul(0.999).add(bnstdi.mul(0.001));
  });
  // Non-linearity
  const h = F.tanh(hpreact); // hidden layer
  h.retainGrad();
  const logits = h.matmul(W2).add(b2); // output layer
  const loss = F.crossEntropy(logits, Yb); // loss function

  // backward pass
  for (const p of parameters) p.grad = null;
  loss.backward();

  if (i === 0) {
    // What the lecture plots at initialisation, as numbers.
    const [hy, hx] = F.histogram(h, { density: true });
    const peak = hy.argmax().item();
    console.log(`init: loss ${loss.item().toFixed(4)} (−log(1/${vocabSize}) = ${(-Math.log(1 / vocabSize)).toFixed(4)}), ` +
      `tanh saturated (|h| > 0.99) ${(h.abs().gt(0.99).float().mean().item() * 100).toFixed(1)}%, ` +
      `dead units ${h.abs().gt(0.99).all(0).sum().item()} of ${nHidden}, h mean ${h.mean().item().toFixed(3)} std ${h.std().item().toFixed(3)}, ` +
      `h.grad std ${h.grad.std().item().toExponential(2)}, histogram peak at ${hx.data[peak].toFixed(2)}..${hx.data[peak + 1].toFixed(2)}`);
    for (const p of parameters) if (p.ndim === 2 && p.shape[0] > 1) console.log(`  weight ${JSON.stringify(p.shape).padEnd(9)} grad:data ratio ${p.grad.std().div(p.std()).item().toExponential(3)}`);
  }

  // update
  const lr = i < (maxSteps * 3) / 4 ? 0.1 : 0.01; // step learning rate decay
  for (const p of parameters) p.data.add_(p.grad, { alpha: -lr }); // p.data += -lr * p.grad

  // track stats
  if (i % Math.floor(maxSteps / 5) === 0) console.log(`${String(i).padStart(7)}/${maxSteps}: ${loss.item().toFixed(4)}`);
  lossi.push(loss.log10().item());
}

// @torch.no_grad() def split_loss(split)
const splitLoss = (split) => noGrad(() => {
  const [x, y] = { train: [Xtr, Ytr], val: [Xdev, Ydev], test: [Xte, Yte] }[split];
  const emb = C[x]; // (N, block_size, n_embd)
  const embcat = emb.view(emb.shape[0], -1); // concat into (N, block_size * n_embd)
  let hpreact = embcat.matmul(W1).add(b1);
  hpreact = bngain.mul(hpreact.sub(bnmeanRunning)).div(bnstdRunning).add(bnbias);
  const h = F.tanh(hpreact); // (N, n_hidden)
  const logits = h.matmul(W2).add(b2); // (N, vocab_size)
  const loss = F.crossEntropy(logits, y);
  console.log(split, loss.item());
});
splitLoss('train');
splitLoss('val');

// sample from the model
g = new Generator().manualSeed(2147483647 + 10);
const samples = [];
for (let k = 0; k < 10; k++) {
  const out = [];
  let context = Array(blockSize).fill(0); // initialize with all ...
  for (;;) {
    // forward pass the neural net
    const emb = C[tensor([context])]; // (1,block_size,n_embd)
    let hpreact = emb.view(1, -1).matmul(W1).add(b1);
    hpreact = bngain.mul(hpreact.sub(bnmeanRunning)).div(bnstdRunning).add(bnbias);
    const h = F.tanh(hpreact);
    const logits = h.matmul(W2).add(b2);
    const probs = F.softmax(logits, 1);
    // sample from the distribution
    const ix = multinomial(probs, 1, { generator: g }).item();
    // shift the context window and track the samples
    context = [...context.slice(1), ix];
    out.push(ix);
    // if we sample the special '.' token, break
    if (ix === 0) break;
  }
  samples.push(out.map((i) => itos[i]).join(''));
}
console.log('samples:', samples.join(' '));

// ---- part 2: PyTorch-ifying the code ------------------------------------------------------------
class Linear {
  constructor(fanIn, fanOut, bias = true) {
    this.weight = randn([fanIn, fanOut], { generator: g }).div(fanIn ** 0.5); // note: kaiming init
    this.bias = bias ? zeros(fanOut) : null;
  }
  call(x) {
    this.out = x.matmul(this.weight);
    if (this.bias !== null) this.out.add_(this.bias); // self.out += self.bias
    return this.out;
  }
  parameters() {
    return [this.weight, ...(this.bias === null ? [] : [this.bias])];
  }
}

class BatchNorm1d {
  constructor(dim, eps = 1e-5, momentum = 0.1) {
    this.eps = eps;
    this.momentum = momentum;
    this.training = true;
    // parameters (trained with backprop)
    this.gamma = ones(dim);
    this.beta = zeros(dim);
    // buffers (trained with a running 'momentum update')
    this.runningMean = zeros(dim);
    this.runningVar = ones(dim);
  }
  call(x) {
    // calculate the forward pass
    let xmean, xvar;
    if (this.training) {
      xmean = x.mean(0, { keepdim: true }); // batch mean
      xvar = x.var(0, { keepdim: true }); // batch variance
    } else {
      xmean = this.runningMean;
      xvar = this.runningVar;
    }
    const xhat = x.sub(xmean).div(xvar.add(this.eps).sqrt()); // normalize to unit variance
    this.out = this.gamma.mul(xhat).add(this.beta);
    // update the buffers
    if (this.training) {
      noGrad(() => {
        this.runningMean = this.runningMean.mul(1 - this.momentum).add(xmean.mul(this.momentum));
        this.runningVar = this.runningVar.mul(1 - this.momentum).add(xvar.mul(this.momentum));
      });
    }
    return this.out;
  }
  parameters() {
    return [this.gamma, this.beta];
  }
}

class Tanh {
  call(x) {
    this.out = F.tanh(x);
    return this.out;
  }
  parameters() {
    return [];
  }
}

const nHidden2 = 100; // the number of neurons in the hidden layers
function run(batchnorm, gain, steps) {
  g = new Generator().manualSeed(2147483647);
  const C = randn([vocabSize, nEmbd], { generator: g });
  const layers = [];
  const dims = [nEmbd * blockSize, nHidden2, nHidden2, nHidden2, nHidden2, nHidden2, vocabSize];
  for (let k = 0; k < 6; k++) {
    layers.push(new Linear(dims[k], dims[k + 1], /* bias */ false));
    if (batchnorm) layers.push(new BatchNorm1d(dims[k + 1]));
    if (k < 5) layers.push(new Tanh());
  }
  noGrad(() => {
    // last layer: make less confident
    if (batchnorm) layers.at(-1).gamma.mul_(0.1);
    else layers.at(-1).weight.mul_(0.1);
    // all other layers: apply gain
    for (const layer of layers.slice(0, -1)) if (layer instanceof Linear) layer.weight.mul_(gain);
  });
  const parameters = [C, ...layers.flatMap((layer) => layer.parameters())];
  for (const p of parameters) p.requiresGrad = true;

  const ud = [];
  let loss;
  for (let i = 0; i < steps; i++) {
    const ix = randint(0, Xtr.shape[0], [batchSize], { generator: g });
    const [Xb, Yb] = [Xtr[ix], Ytr[ix]];
    const emb = C[Xb];
    let x = emb.view(emb.shape[0], -1);
    for (const layer of layers) x = layer.call(x);
    loss = F.crossEntropy(x, Yb);
    for (const layer of layers) layer.out.retainGrad();
    for (const p of parameters) p.grad = null;
    loss.backward();
    const lr = 0.1;
    for (const p of parameters) p.data.add_(p.grad, { alpha: -lr });
    noGrad(() => ud.push(parameters.map((p) => p.grad.mul(lr).std().div(p.std()).log10().item())));
  }
  console.log(`\n${batchnorm ? 'with' : 'without'} BatchNorm, gain ${gain.toFixed(2)}, after ${steps} step(s): loss ${loss.item().toFixed(4)}`);
  layers.slice(0, -1).forEach((layer, i) => {
    if (!(layer instanceof Tanh)) return;
    const t = layer.out;
    const gr = layer.out.grad;
    console.log(`  layer ${i} (Tanh): mean ${t.mean().item() >= 0 ? '+' : ''}${t.mean().item().toFixed(2)}, std ${t.std().item().toFixed(2)}, ` +
      `saturated: ${t.abs().gt(0.97).float().mean().mul(100).item().toFixed(2)}% | grad mean ${gr.mean().item().toExponential(2)}, std ${gr.std().item().toExponential(2)}`);
  });
  parameters.forEach((p, i) => {
    if (p.ndim !== 2) return;
    const t = p.grad;
    console.log(`  weight ${JSON.stringify(p.shape).padEnd(9)} | grad std ${t.std().item().toExponential(3)} | grad:data ratio ${t.std().div(p.std()).item().toExponential(3)} | update:data log10 ${ud.at(-1)[i].toFixed(2)}`);
  });
}
run(true, 5 / 3, quick ? 100 : 1000);
for (const gain of [5 / 3, 1, 0.5]) run(false, gain, 1);
