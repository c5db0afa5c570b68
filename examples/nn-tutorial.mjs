// PyTorch's "What is torch.nn really?" tutorial (Jeremy Howard), ported line by line: logistic
// regression on MNIST written from scratch (weights made by hand, a hand-written log_softmax and
// negative log-likelihood, a manual SGD step under noGrad), then refactored step by step with
// the functional loss, nn.Module and nn.Parameter, nn.Linear, optim, TensorDataset and
// DataLoader, a CNN with view(-1, 1, 28, 28) and avg_pool2d, and nn.Sequential with a Lambda.
// It uses the 10,000 built-in digits instead of the tutorial's 50,000 (small and quick).
// Run after `npm run build`:  node examples/nn-tutorial.mjs
import { manualSeed, tensor, randn, zeros, noGrad, nn, optim, ops, loss, DataLoader, TensorDataset } from 'gradlab';
import { loadBuiltinMnistSplits } from 'gradlab/node';

manualSeed(0);
const { train, test } = await loadBuiltinMnistSplits();
const nTrain = 3000;
const nValid = 1000;
// x_train, y_train, x_valid, y_valid = map(torch.tensor, (x_train, y_train, x_valid, y_valid))
const x_train = tensor(train.x.data.subarray(0, nTrain * 784), [nTrain, 784]);
const y_train = tensor(train.y.data.subarray(0, nTrain), [nTrain]);
const x_valid = tensor(test.x.data.subarray(0, nValid * 784), [nValid, 784]);
const y_valid = tensor(test.y.data.subarray(0, nValid), [nValid]);
const n = x_train.shape[0];
console.log(`x_train ${x_train.shape}, y_train min ${y_train.min().item()} max ${y_train.max().item()}`);

// ---- Neural net from scratch (without torch.nn) ----
let weights = randn(784, 10).div(Math.sqrt(784));
weights.requiresGrad_();
let bias = zeros(10, { requiresGrad: true });

const log_softmax = (x) => x.sub(x.exp().sum(-1).log().unsqueeze(-1));
let model = (xb) => log_softmax(xb.matmul(weights).add(bias));

const bs = 64; // batch size
let xb = x_train.narrow(0, 0, bs); // a mini-batch from x
let preds = model(xb); // predictions
console.log(`preds[0] ${preds.select(0, 0).shape}, grad_fn ${preds.gradFn.op}`);

// def nll(input, target): return -input[range(target.shape[0]), target].mean()
const nll = (input, target) => input.gather(1, target.unsqueeze(1)).mean().neg();
let loss_func = nll;
let yb = y_train.narrow(0, 0, bs);
console.log(`loss before training ${loss_func(preds, yb).item().toFixed(4)}`);

// def accuracy(out, yb): preds = torch.argmax(out, dim=1); return (preds == yb).float().mean()
const accuracy = (out, yb) => out.argmax(1).eq(yb).float().mean();
console.log(`accuracy before training ${accuracy(preds, yb).item().toFixed(4)}`);

const lr = 0.5; // learning rate
const epochs = 2; // how many epochs to train for
const batches = Math.floor((n - 1) / bs) + 1;
const slice = (t, i) => t.narrow(0, i * bs, Math.min(bs, t.shape[0] - i * bs)); // t[i*bs : i*bs+bs]

for (let epoch = 0; epoch < epochs; epoch++) {
  for (let i = 0; i < batches; i++) {
    xb = slice(x_train, i);
    yb = slice(y_train, i);
    const pred = model(xb);
    const l = loss_func(pred, yb);
    l.backward();
    noGrad(() => {
      weights.sub_(weights.grad.mul(lr)); // weights -= weights.grad * lr
      bias.sub_(bias.grad.mul(lr));
      weights.grad.zero_();
      bias.grad.zero_();
    });
  }
}
console.log(`from scratch: loss ${loss_func(model(xb), yb).item().toFixed(4)}, validation accuracy ${accuracy(model(x_valid), y_valid).item().toFixed(4)}`);

// ---- Using torch.nn.functional ----
loss_func = loss.crossEntropy; // F.cross_entropy
model = (xb) => xb.matmul(weights).add(bias);
console.log(`functional: loss ${loss_func(model(xb), yb).item().toFixed(4)}`);

// ---- Refactor using nn.Module ----
class Mnist_Logistic extends nn.Module {
  constructor() {
    super();
    this.weights = new nn.Parameter(randn(784, 10).div(Math.sqrt(784)));
    this.bias = new nn.Parameter(zeros(10));
  }
  forward(xb) {
    return xb.matmul(this.weights).add(this.bias);
  }
}
model = new Mnist_Logistic();
console.log(`Module: loss before ${loss_func(model.forward(xb), yb).item().toFixed(4)}`);

function fit() {
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = 0; i < batches; i++) {
      const xb = slice(x_train, i);
      const yb = slice(y_train, i);
      const l = loss_func(model.forward(xb), yb);
      l.backward();
      noGrad(() => {
        for (const p of model.parameters()) p.sub_(p.grad.mul(lr));
        model.zeroGrad();
      });
    }
  }
}
fit();
console.log(`Module: loss after ${loss_func(model.forward(xb), yb).item().toFixed(4)}`);

// ---- Refactor using nn.Linear ----
class Mnist_Logistic_Linear extends nn.Module {
  constructor() {
    super();
    this.lin = new nn.Linear(784, 10);
  }
  forward(xb) {
    return this.lin.forward(xb);
  }
}
model = new Mnist_Logistic_Linear();
fit();
console.log(`nn.Linear: loss after ${loss_func(model.forward(xb), yb).item().toFixed(4)}`);

// ---- Refactor using torch.optim ----
const get_model = () => {
  const model = new Mnist_Logistic_Linear();
  return [model, new optim.SGD(model.parameters(), { lr })];
};
let opt;
[model, opt] = get_model();
for (let epoch = 0; epoch < epochs; epoch++) {
  for (let i = 0; i < batches; i++) {
    const l = loss_func(model.forward(slice(x_train, i)), slice(y_train, i));
    l.backward();
    opt.step();
    opt.zeroGrad();
  }
}
console.log(`optim: loss after ${loss_func(model.forward(xb), yb).item().toFixed(4)}`);

// ---- Refactor using Dataset and DataLoader, with validation ----
const train_ds = new TensorDataset(x_train, y_train);
const valid_ds = new TensorDataset(x_valid, y_valid);
const [x0, y0] = train_ds.get(0);
console.log(`train_ds: ${train_ds.length} examples, the first ${x0.shape} with label ${y0.item()}`);
function get_data(train_ds, valid_ds, bs) {
  return [new DataLoader(train_ds, { batchSize: bs, shuffle: true }), new DataLoader(valid_ds, { batchSize: bs * 2 })];
}

// def loss_batch(model, loss_func, xb, yb, opt=None)
function loss_batch(model, loss_func, xb, yb, opt = null) {
  const l = loss_func(model.forward(xb), yb);
  if (opt !== null) {
    l.backward();
    opt.step();
    opt.zeroGrad();
  }
  return [l.item(), xb.shape[0]];
}

function fitValid(epochs, model, loss_func, opt, train_dl, valid_dl, label) {
  for (let epoch = 0; epoch < epochs; epoch++) {
    model.train();
    for (const [xb, yb] of train_dl) loss_batch(model, loss_func, xb, yb, opt);
    model.eval();
    let val_loss = 0;
    let correct = 0;
    noGrad(() => {
      let total = 0;
      for (const [xb, yb] of valid_dl) {
        const [l, num] = loss_batch(model, loss_func, xb, yb);
        val_loss += l * num;
        total += num;
        const [, predicted] = model.forward(xb).max(1); // _, predicted = torch.max(out, 1)
        correct += predicted.eq(yb).sum().item();
      }
      val_loss /= total;
    });
    console.log(`${label} epoch ${epoch}: validation loss ${val_loss.toFixed(4)}, accuracy ${((100 * correct) / valid_dl.dataset.length).toFixed(1)}%`);
  }
}
const [train_dl, valid_dl] = get_data(train_ds, valid_ds, bs);
[model, opt] = get_model();
fitValid(epochs, model, loss_func, opt, train_dl, valid_dl, 'logistic');

// ---- Switch to CNN ----
class Mnist_CNN extends nn.Module {
  constructor() {
    super();
    this.conv1 = new nn.Conv2d(1, 16, 3, { stride: 2, padding: 1 });
    this.conv2 = new nn.Conv2d(16, 16, 3, { stride: 2, padding: 1 });
    this.conv3 = new nn.Conv2d(16, 10, 3, 2, 1); // positional: kernel_size=3, stride=2, padding=1
  }
  forward(xb) {
    xb = xb.view(-1, 1, 28, 28);
    xb = ops.relu(this.conv1.forward(xb));
    xb = ops.relu(this.conv2.forward(xb));
    xb = ops.relu(this.conv3.forward(xb));
    xb = ops.avgPool2d(xb, 4);
    return xb.view(-1, xb.shape[1]);
  }
}
const cnnLr = 0.1;
model = new Mnist_CNN();
opt = new optim.SGD(model.parameters(), { lr: cnnLr, momentum: 0.9 });
fitValid(1, model, loss_func, opt, train_dl, valid_dl, 'CNN');

// ---- nn.Sequential, with a Lambda layer ----
class Lambda extends nn.Module {
  constructor(func) {
    super();
    this.func = func;
  }
  forward(x) {
    return this.func(x);
  }
}
const preprocess = (x) => x.view(-1, 1, 28, 28);
model = new nn.Sequential(
  new Lambda(preprocess),
  new nn.Conv2d(1, 16, { kernelSize: 3, stride: 2, padding: 1 }), // nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)
  new nn.ReLU(),
  new nn.Conv2d(16, 16, { kernelSize: 3, stride: 2, padding: 1 }),
  new nn.ReLU(),
  new nn.Conv2d(16, 10, { kernelSize: 3, stride: 2, padding: 1 }),
  new nn.ReLU(),
  new nn.AdaptiveAvgPool2d(1),
  new Lambda((x) => x.view(x.shape[0], -1)),
);
opt = new optim.SGD(model.parameters(), { lr: cnnLr, momentum: 0.9 });
fitValid(2, model, loss_func, opt, train_dl, valid_dl, 'Sequential');
console.log(String(model));
