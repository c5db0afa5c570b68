// PyTorch's tutorials ported line by line, the way a PyTorch user writes them in JS, checked
// against PyTorch 1.13 running the same lines on the same inputs and starting weights
// (test/fixtures/make_pytorch_tutorials.py → pytorch_tutorials.json and
// torch_pt/tutorial_checkpoint_*.pt, tutorial_two_models.pt): "Learn the Basics" Quickstart, the
// second half of "What is torch.nn really?", "Training a classifier", "Saving and loading a general
// checkpoint" (PyTorch's files into gradlab, gradlab's into PyTorch: torch_pt/gradlab_checkpoint.pt,
// make_gradlab_pt.mjs) and "Saving multiple models in one file"; then single lines of these
// tutorials as PyTorch users write them (keywords, positional options, dtype names, numbers).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataLoader, TensorDataset, loss, nn, noGrad, ops, optim, randn, tensor, zeros, Tensor } from '../src/index.js';
import { loadFashionMnist, loadSafetensors, loadTorchFile, saveSafetensors, saveTorchFile } from '../src/node.js';
import '../src/kernels/auto.js';
import * as G from '../src/index.js';
// @ts-expect-error: a plain .mjs module shared with make_gradlab_pt.mjs, without types
import { gradlabCheckpoint } from './fixtures/gradlab-checkpoint.mjs';

const F = ops;
const REF = JSON.parse(readFileSync(new URL('./fixtures/pytorch_tutorials.json', import.meta.url), 'utf8'));
const PT = (name: string) => new URL(`./fixtures/torch_pt/${name}`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'gradlab-tutorials-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** make_pytorch_tutorials.py's det(): sin(0.731·k + 1.37·seed)·scale in row-major order, as float32. */
function det(shape: number[], seed: number, scale = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let k = 0; k < n; k++) v[k] = Math.sin(0.731 * k + 1.37 * seed) * scale;
  return tensor(v, shape);
}
/** make_pytorch_tutorials.py's det_state(): every tensor of the state dict from det(), in the state dict's order. */
function detState(model: nn.Module): Record<string, Tensor> {
  return Object.fromEntries(
    Object.entries(model.stateDict()).map(([k, v], i) => {
      const fanIn = v.shape.length > 1 ? v.shape.slice(1).reduce((a, b) => a * b, 1) : 10;
      return [k, det(v.shape, i + 1, 1 / Math.sqrt(fanIn))];
    }),
  );
}
const labels = (n: number, seed: number) => tensor(Array.from({ length: n }, (_, i) => (3 * i + seed) % 10));
const close = (got: ArrayLike<number>, want: number[], tol = 2e-5) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs(got[i] - w), `element ${i}: ${got[i]} vs ${w}`).toBeLessThanOrEqual(tol * (1 + Math.abs(w))));
};

describe('"Learn the Basics" Quickstart', () => {
  it('NeuralNetwork (Flatten + linear_relu_stack), train() and test() with SGD(lr=1e-3) give PyTorch\'s losses and accuracy; save, load, predict', async () => {
    const ref = REF.quickstart;
    const full = await loadFashionMnist(undefined, { split: 'train' });
    const fullTest = await loadFashionMnist(undefined, { split: 'test' });
    const training_data = new TensorDataset(full.x.narrow(0, 0, ref.nTrain).view(-1, 1, 28, 28), full.y.narrow(0, 0, ref.nTrain));
    const test_data = new TensorDataset(fullTest.x.narrow(0, 0, ref.nTest).view(-1, 1, 28, 28), fullTest.y.narrow(0, 0, ref.nTest));
    const batch_size = 64;
    const train_dataloader = new DataLoader(training_data, { batchSize: batch_size });
    const test_dataloader = new DataLoader(test_data, { batchSize: batch_size });
    for (const [X, y] of test_dataloader) {
      expect(X.shape).toEqual([64, 1, 28, 28]);
      expect(y.shape).toEqual([64]);
      break;
    }

    class NeuralNetwork extends nn.Module {
      flatten = new nn.Flatten();
      linear_relu_stack = new nn.Sequential(new nn.Linear(28 * 28, 512), new nn.ReLU(), new nn.Linear(512, 512), new nn.ReLU(), new nn.Linear(512, 10));
      forward(x: Tensor) {
        x = this.flatten.forward(x);
        const logits = this.linear_relu_stack.forward(x);
        return logits;
      }
    }
    const model = new NeuralNetwork().to('cpu');
    expect(Object.keys(model.stateDict())).toEqual(['linear_relu_stack.0.weight', 'linear_relu_stack.0.bias', 'linear_relu_stack.2.weight', 'linear_relu_stack.2.bias', 'linear_relu_stack.4.weight', 'linear_relu_stack.4.bias']);
    model.loadStateDict(detState(model));
    const loss_fn = new nn.CrossEntropyLoss();
    const optimizer = new optim.SGD(model.parameters(), { lr: 1e-3 });

    function train(dataloader: DataLoader, model: nn.Module, loss_fn: nn.CrossEntropyLoss, optimizer: optim.SGD) {
      const size = dataloader.dataset.length;
      model.train();
      const losses: number[] = [];
      let batch = 0;
      for (const [X, y] of dataloader) {
        const pred = model.forward(X);
        const loss = loss_fn.forward(pred, y);
        loss.backward();
        optimizer.step();
        optimizer.zeroGrad();
        losses.push(loss.item());
        const current = (batch + 1) * X.length!;
        expect(current).toBeLessThanOrEqual(size + batch_size);
        batch++;
      }
      return losses;
    }
    function test(dataloader: DataLoader, model: nn.Module, loss_fn: nn.CrossEntropyLoss) {
      const size = dataloader.dataset.length;
      const num_batches = dataloader.length;
      model.eval();
      let test_loss = 0;
      let correct = 0;
      noGrad(() => {
        for (const [X, y] of dataloader) {
          const pred = model.forward(X);
          test_loss += loss_fn.forward(pred, y).item();
          correct += pred.argmax(1).eq(y).type('float').sum().item();
        }
      });
      return [test_loss / num_batches, correct / size];
    }
    for (let t = 0; t < 2; t++) {
      const losses = train(train_dataloader, model, loss_fn, optimizer);
      const [test_loss, correct] = test(test_dataloader, model, loss_fn);
      close(losses, ref.epochs[t].losses, 1e-5);
      expect(test_loss).toBeCloseTo(ref.epochs[t].testLoss, 5);
      expect(correct).toBe(ref.epochs[t].correct);
    }

    // torch.save(model.state_dict(), "model.pth"); model = NeuralNetwork(); model.load_state_dict(torch.load("model.pth"))
    const path = join(dir, 'model.safetensors');
    await saveSafetensors(path, model.stateDict());
    const model2 = new NeuralNetwork();
    model2.loadStateDict((await loadSafetensors(path)).tensors);
    // The two readers say which one a file needs, whatever its name.
    await saveSafetensors(join(dir, 'model.pth'), model.stateDict());
    await expect(loadTorchFile(join(dir, 'model.pth'))).rejects.toThrow(/model\.pth: this is a safetensors file, not one torch\.save wrote: read it with loadSafetensors\(path\)/);
    await expect(loadSafetensors(PT('tutorial_checkpoint_sgd.pt'))).rejects.toThrow(/this is a file torch\.save wrote, not a safetensors file: read it with loadTorchFile\(path\)/);
    const classes = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
    model2.eval();
    // x, y = test_data[0][0], test_data[0][1] — on the TensorDataset and on the loader's dataset alike
    const [x, y] = [test_data[0][0], test_data[0][1]];
    expect(fullTest[0][0].view(1, 28, 28).tolist()).toEqual(x.tolist());
    expect(fullTest[-1][1].item()).toBe(fullTest.y.data[fullTest.y.length! - 1]);
    expect(() => test_data[ref.nTest]).toThrow(`TensorDataset[${ref.nTest}]: index ${ref.nTest} is out of range for ${ref.nTest} examples`);
    expect(() => fullTest[10000]).toThrow(/fashion-mnist \(test\)\[10000\]: index 10000 is out of range for 10000 examples/);
    noGrad(() => {
      const pred = model2.forward(x.unsqueeze(0));
      close(pred.select(0, 0).data, ref.pred0, 1e-5);
      const [predicted, actual] = [classes[pred.select(0, 0).argmax(0).item()], classes[y.item()]];
      expect(predicted).toBe(classes[ref.predicted0]);
      expect(actual).toBe('Ankle boot');
    });
  }, 20_000);
});

describe('"What is torch.nn really?", the second half', () => {
  const ref = REF.nnReally;
  const x_train = det([ref.n, 784], 11).add(1).mul(0.1);
  const y_train = labels(ref.n, 1);
  const x_valid = det([ref.nValid, 784], 12).add(1).mul(0.1);
  const y_valid = labels(ref.nValid, 4);
  const bs = ref.bs;
  const lr = 0.5;
  const loss_func = F.crossEntropy; // F.cross_entropy (loss.crossEntropy, the same function)

  function loss_batch(model: nn.Module, loss_func: (a: Tensor, b: Tensor) => Tensor, xb: Tensor, yb: Tensor, opt: optim.Optimizer | null = null): [number, number] {
    const l = loss_func(model.forward(xb), yb);
    if (opt !== null) {
      l.backward();
      opt.step();
      opt.zeroGrad();
    }
    return [l.item(), xb.length!];
  }
  function fit(epochs: number, model: nn.Module, loss_func: (a: Tensor, b: Tensor) => Tensor, opt: optim.Optimizer, train_dl: DataLoader, valid_dl: DataLoader) {
    const history: { train: number[]; val: number }[] = [];
    for (let epoch = 0; epoch < epochs; epoch++) {
      model.train();
      const train: number[] = [];
      for (const [xb, yb] of train_dl) train.push(loss_batch(model, loss_func, xb, yb, opt)[0]);
      model.eval();
      const [losses, nums] = noGrad(() => {
        const pairs = [...valid_dl].map(([xb, yb]) => loss_batch(model, loss_func, xb, yb));
        return [pairs.map((p) => p[0]), pairs.map((p) => p[1])]; // zip(*[...])
      });
      // val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
      const val_loss = losses.reduce((s, l, i) => s + l * nums[i], 0) / nums.reduce((a, b) => a + b, 0);
      history.push({ train, val: val_loss });
    }
    return history;
  }
  const get_data = (train_ds: TensorDataset, valid_ds: TensorDataset, bs: number, shuffle = true) => [
    new DataLoader(train_ds, { batchSize: bs, shuffle }),
    new DataLoader(valid_ds, { batchSize: Math.floor((bs * 2) / 3) }),
  ];
  const train_ds = new TensorDataset(x_train, y_train);
  const valid_ds = new TensorDataset(x_valid, y_valid);
  // The reference fixes the training order (shuffle=False); the tutorial's shuffle=True is run below too.
  const [train_dl, valid_dl] = get_data(train_ds, valid_ds, bs, false);

  it('Mnist_Logistic with nn.Parameter(torch.randn(784, 10) / sqrt(784)), p -= p.grad * lr over model.parameters() and model.zero_grad() under noGrad', () => {
    class Mnist_Logistic extends nn.Module {
      weights: nn.Parameter;
      bias: nn.Parameter;
      constructor() {
        super();
        this.weights = new nn.Parameter(randn(784, 10).div(Math.sqrt(784)));
        this.bias = new nn.Parameter(zeros(10));
      }
      forward(xb: Tensor) {
        return xb.matmul(this.weights).add(this.bias);
      }
    }
    const model = new Mnist_Logistic();
    expect(model.weights.requiresGrad).toBe(true);
    expect(model.parameters().length).toBe(2);
    model.loadStateDict({ weights: det([784, 10], 1, 1 / Math.sqrt(784)), bias: zeros(10) });
    const losses: number[] = [];
    for (let i = 0; i < Math.floor((ref.n - 1) / bs) + 1; i++) {
      const start_i = i * bs;
      const end_i = start_i + bs;
      const xb = x_train.narrow(0, start_i, Math.min(end_i, ref.n) - start_i); // x_train[start_i:end_i]
      const yb = y_train.narrow(0, start_i, Math.min(end_i, ref.n) - start_i);
      const l = loss_func(model.forward(xb), yb);
      l.backward();
      losses.push(l.item());
      noGrad(() => {
        for (const p of model.parameters()) p.sub_(p.grad!.mul(lr)); // p -= p.grad * lr
        model.zeroGrad();
      });
      expect(model.weights.grad).toBeNull();
    }
    close(losses, ref.logisticLosses, 1e-5);
    close(model.bias.data, ref.logisticBias, 1e-4);
    expect(model.weights.sum().item()).toBeCloseTo(ref.logisticWeightsSum, 3);
  });

  it('nn.Linear + optim.SGD through TensorDataset/DataLoader: fit() with the validation loss sum(losses * nums) / sum(nums)', () => {
    class Mnist_Logistic extends nn.Module {
      lin = new nn.Linear(784, 10);
      forward(xb: Tensor) {
        return this.lin.forward(xb);
      }
    }
    const model = new Mnist_Logistic();
    model.loadStateDict({ 'lin.weight': det([10, 784], 2, 1 / Math.sqrt(784)), 'lin.bias': det([10], 3, 0.1) });
    const history = fit(2, model, loss_func, new optim.SGD(model.parameters(), { lr }), train_dl, valid_dl);
    expect(valid_dl.length).toBe(3); // 21 + 21 + 8: the weighting by nums matters
    history.forEach((h, e) => {
      close(h.train, ref.linearFit[e].train, 1e-5);
      expect(h.val).toBeCloseTo(ref.linearFit[e].val, 5);
    });
    // The weighted mean over uneven batches is the loss over the whole validation set.
    expect(noGrad(() => loss_func(model.forward(x_valid), y_valid).item())).toBeCloseTo(history[1].val, 5);
    // "Refactor using Dataset": xb, yb = train_ds[i * bs : i * bs + bs], the last slice short
    const last = Math.floor((ref.n - 1) / bs);
    const [xb, yb] = train_ds.slice(last * bs, last * bs + bs);
    expect([xb.shape, yb.tolist()]).toEqual([[ref.n - last * bs, 784], y_train.narrow(0, last * bs, ref.n - last * bs).tolist()]);
    expect(train_ds.slice(-2)[1].tolist()).toEqual(y_train.narrow(0, ref.n - 2, 2).tolist());
    // get_data as the tutorial writes it: shuffle=True reorders every epoch, every example once.
    const [shuffled] = get_data(train_ds, valid_ds, bs);
    const seen = (dl: DataLoader) => [...dl].flatMap(([, yb]) => Array.from(yb.data)).join();
    expect(seen(shuffled)).not.toBe(seen(train_dl));
    expect(seen(shuffled).split(',').sort().join()).toBe(seen(train_dl).split(',').sort().join());
  });

  it("Mnist_CNN (Conv2d(…, kernel_size=3, stride=2, padding=1), xb.view(-1, 1, 28, 28), F.relu, F.avg_pool2d(xb, 4), xb.view(-1, xb.size(1))) with SGD momentum 0.9", () => {
    class Mnist_CNN extends nn.Module {
      conv1 = new nn.Conv2d(1, 16, { kernelSize: 3, stride: 2, padding: 1 });
      conv2 = new nn.Conv2d(16, 16, 3, { stride: 2, padding: 1 });
      conv3 = new nn.Conv2d(16, 10, 3, 2, 1);
      forward(xb: Tensor) {
        xb = xb.view(-1, 1, 28, 28);
        xb = F.relu(this.conv1.forward(xb));
        xb = F.relu(this.conv2.forward(xb));
        xb = F.relu(this.conv3.forward(xb));
        xb = F.avgPool2d(xb, 4);
        return xb.view(-1, xb.shape[1]); // xb.size(1)
      }
    }
    const model = new Mnist_CNN();
    expect(String(model.conv1)).toBe('Conv2d(1, 16, kernelSize=[3,3], stride=[2,2], padding=[1,1])');
    model.loadStateDict(detState(model));
    const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const history = fit(2, model, loss_func, opt, train_dl, valid_dl);
    history.forEach((h, e) => {
      close(h.train, ref.cnnFit[e].train, 1e-5);
      expect(h.val).toBeCloseTo(ref.cnnFit[e].val, 5);
    });
    close(model.conv3.bias!.data, ref.cnnConv3Bias, 1e-4);
  });

  it('nn.Sequential(Lambda(preprocess), Conv2d, ReLU, …, nn.AdaptiveAvgPool2d(1), Lambda(x => x.view(x.size(0), -1))) trains as Mnist_CNN', () => {
    class Lambda extends nn.Module {
      constructor(private func: (x: Tensor) => Tensor) {
        super();
      }
      forward(x: Tensor) {
        return this.func(x);
      }
    }
    const preprocess = (x: Tensor) => x.view(-1, 1, 28, 28);
    const model = new nn.Sequential(
      new Lambda(preprocess),
      new nn.Conv2d(1, 16, { kernelSize: 3, stride: 2, padding: 1 }),
      new nn.ReLU(),
      new nn.Conv2d(16, 16, { kernelSize: 3, stride: 2, padding: 1 }),
      new nn.ReLU(),
      new nn.Conv2d(16, 10, { kernelSize: 3, stride: 2, padding: 1 }),
      new nn.ReLU(),
      new nn.AdaptiveAvgPool2d(1),
      new Lambda((x) => x.view(x.shape[0], -1)),
    );
    expect(Object.keys(model.stateDict())).toEqual(['1.weight', '1.bias', '3.weight', '3.bias', '5.weight', '5.bias']);
    const cnn = detState(new nn.Sequential(new nn.Conv2d(1, 16, 3), new nn.Conv2d(16, 16, 3), new nn.Conv2d(16, 10, 3)));
    model.loadStateDict(Object.fromEntries(Object.entries(cnn).map(([k, v]) => [k.replace(/^(\d)/, (d) => String(2 * Number(d) + 1)), v])));
    const history = fit(2, model, loss_func, new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }), train_dl, valid_dl);
    history.forEach((h, e) => {
      close(h.train, ref.sequentialFit[e].train, 1e-5);
      expect(h.val).toBeCloseTo(ref.sequentialFit[e].val, 5);
    });
  });
});

/** The CIFAR-10 Net of "Training a classifier" (and of "Saving and loading a general checkpoint"). */
class Net extends nn.Module {
  conv1 = new nn.Conv2d(3, 6, 5);
  pool = new nn.MaxPool2d(2, 2);
  conv2 = new nn.Conv2d(6, 16, 5);
  fc1 = new nn.Linear(16 * 5 * 5, 120);
  fc2 = new nn.Linear(120, 84);
  fc3 = new nn.Linear(84, 10);
  forward(x: Tensor) {
    x = this.pool.forward(F.relu(this.conv1.forward(x)));
    x = this.pool.forward(F.relu(this.conv2.forward(x)));
    x = F.flatten(x, 1); // flatten all dimensions except batch
    x = F.relu(this.fc1.forward(x));
    x = F.relu(this.fc2.forward(x));
    x = this.fc3.forward(x);
    return x;
  }
}

describe('"Training a classifier"', () => {
  it('Net with CrossEntropyLoss and SGD(lr=0.001, momentum=0.9): running loss, torch.max(outputs, 1), accuracy per class, save and load', async () => {
    const ref = REF.classifier;
    const images = det([ref.steps * 4, 3, 32, 32], 21);
    const image_labels = labels(ref.steps * 4, 2);
    const net = new Net();
    net.loadStateDict(detState(net));
    const criterion = new nn.CrossEntropyLoss();
    const optimizer = new optim.SGD(net.parameters(), { lr: 0.001, momentum: 0.9 });
    const trainloader = new DataLoader(new TensorDataset(images, image_labels), { batchSize: 4 });
    const losses: number[] = [];
    const logged: number[] = [];
    let running_loss = 0.0;
    for (const [i, data] of trainloader.entries()) {
      // get the inputs; data is a list of [inputs, labels]
      const [inputs, labels] = data;
      optimizer.zeroGrad();
      const outputs = net.forward(inputs);
      const loss = criterion.forward(outputs, labels);
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
      running_loss += loss.item();
      if (i % 4 === 3) {
        logged.push(running_loss / 4);
        running_loss = 0.0;
      }
    }
    close(losses, ref.losses, 1e-5);
    close(logged, ref.logged, 1e-5);
    close(net.fc3.bias!.data, ref.fc3Bias, 1e-4);
    expect(net.conv1.weight.sum().item()).toBeCloseTo(ref.conv1WeightSum, 3);

    // PATH = './cifar_net.pth'; torch.save(net.state_dict(), PATH); net = Net(); net.load_state_dict(torch.load(PATH))
    const PATH = join(dir, 'cifar_net.safetensors');
    await saveSafetensors(PATH, net.stateDict());
    const net2 = new Net();
    net2.loadStateDict((await loadSafetensors(PATH)).tensors);
    const test_images = det([20, 3, 32, 32], 22);
    const test_labels = labels(20, 5);
    const classes = ['plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
    const correct_pred: Record<string, number> = Object.fromEntries(classes.map((c) => [c, 0]));
    const total_pred: Record<string, number> = Object.fromEntries(classes.map((c) => [c, 0]));
    let correct = 0;
    noGrad(() => {
      const outputs = net2.forward(test_images);
      close(outputs.data, ref.outputs, 1e-4);
      const [, predicted] = ops.max(outputs, 1); // _, predicted = torch.max(outputs, 1)
      expect(predicted.tolist()).toEqual(ref.predicted);
      correct += predicted.eq(test_labels).sum().item();
      // for label, prediction in zip(labels, predictions)
      (test_labels.tolist() as number[]).forEach((label, j) => {
        if (label === predicted.data[j]) correct_pred[classes[label as number]] += 1;
        total_pred[classes[label as number]] += 1;
      });
    });
    expect(classes.map((c) => correct_pred[c])).toEqual(ref.correct);
    expect(classes.map((c) => total_pred[c])).toEqual(ref.total);
    expect(correct).toBe(ref.correct.reduce((a: number, b: number) => a + b, 0));
  });
});

describe('"Saving and loading a general checkpoint"', () => {
  const ref = REF.checkpoint;
  const nr = REF.nnReally;
  class Mnist_CNN extends nn.Module {
    conv1 = new nn.Conv2d(1, 16, { kernelSize: 3, stride: 2, padding: 1 });
    conv2 = new nn.Conv2d(16, 16, { kernelSize: 3, stride: 2, padding: 1 });
    conv3 = new nn.Conv2d(16, 10, { kernelSize: 3, stride: 2, padding: 1 });
    forward(xb: Tensor) {
      xb = xb.view(-1, 1, 28, 28);
      xb = F.relu(this.conv1.forward(xb));
      xb = F.relu(this.conv2.forward(xb));
      xb = F.relu(this.conv3.forward(xb));
      return F.avgPool2d(xb, 4).flatten(1);
    }
  }
  const train_dl = new DataLoader(new TensorDataset(det([nr.n, 784], 11).add(1).mul(0.1), labels(nr.n, 1)), { batchSize: nr.bs });
  const loss_batch = (model: nn.Module, xb: Tensor, yb: Tensor, opt: optim.Optimizer) => {
    const l = loss.crossEntropy(model.forward(xb), yb);
    l.backward();
    opt.step();
    opt.zeroGrad();
    return l.item();
  };
  const makers: Record<string, (p: nn.Parameter[]) => optim.Optimizer> = {
    sgd: (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9 }),
    adam: (p) => new optim.Adam(p, { lr: 1e-3 }),
  };

  for (const name of ['sgd', 'adam']) {
    it(`${name}: a checkpoint torch.save wrote ({epoch, model_state_dict, optimizer_state_dict, loss}) resumes as PyTorch resumes it`, async () => {
      const PATH = PT(`tutorial_checkpoint_${name}.pt`);
      const model = new Mnist_CNN();
      const optimizer = makers[name](model.parameters());
      // checkpoint = torch.load(PATH)
      const checkpoint = (await loadTorchFile(PATH)).object as Record<string, any>;
      model.loadStateDict(checkpoint.model_state_dict);
      optimizer.loadStateDict(checkpoint.optimizer_state_dict);
      // Written back in PyTorch's form, the state is the one PyTorch saved (saveTorchFile writes it for
      // optimizer.load_state_dict in PyTorch).
      const mine = optimizer.torchStateDict();
      const theirs = checkpoint.optimizer_state_dict;
      expect([...(mine.state as Map<number, Record<string, Tensor>>).keys()]).toEqual(Object.keys(theirs.state).map(Number));
      for (const [id, rec] of mine.state as Map<number, Record<string, Tensor>>) {
        expect(Object.keys(rec).sort()).toEqual(Object.keys(theirs.state[id]).sort());
        for (const [k, v] of Object.entries(rec)) expect([k, v.shape, Array.from(v.data)]).toEqual([k, theirs.state[id][k].shape, Array.from(theirs.state[id][k].data)]);
      }
      const { params, ...options } = mine.param_groups[0];
      expect(params).toEqual(theirs.param_groups[0].params);
      for (const [k, v] of Object.entries(options)) expect([k, v]).toEqual([k, theirs.param_groups[0][k]]);
      const epoch = checkpoint.epoch;
      const l = checkpoint.loss;
      expect(epoch).toBe(ref[name].epoch);
      expect(l.item()).toBeCloseTo(ref[name].loss, 6);
      model.train();
      const batches = [...train_dl];
      const after = [...batches.slice(2), ...train_dl].map(([xb, yb]) => loss_batch(model, xb, yb, optimizer));
      close(after, ref[name].after, 1e-5);
      close(model.conv3.bias!.data, ref[name].conv3Bias, 1e-4);
    });
  }

  it("a PyTorch state whose options differ from the optimizer's, or whose parameters do not match, is refused naming the difference", async () => {
    const checkpoint = (await loadTorchFile(PT('tutorial_checkpoint_sgd.pt'))).object as Record<string, any>;
    const model = new Mnist_CNN();
    expect(() => new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.5 }).loadStateDict(checkpoint.optimizer_state_dict)).toThrow(/SGD.loadStateDict: group 0 of the saved state has momentum=0.9, this optimizer momentum: 0.5/);
    expect(() => new optim.SGD(model.conv1.parameters(), { lr: 0.1, momentum: 0.9 }).loadStateDict(checkpoint.optimizer_state_dict)).toThrow(/state has 6 parameters, the optimizer 2/);
    const adamState = ((await loadTorchFile(PT('tutorial_checkpoint_adam.pt'))).object as Record<string, any>).optimizer_state_dict;
    expect(() => new optim.Adam(model.parameters(), { betas: [0.9, 0.99] }).loadStateDict(adamState)).toThrow(/has betas=\[0.9,0.999\], this optimizer betas: \[0.9,0.99\]/);
    expect(() => new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }).loadStateDict(adamState)).toThrow(/SGD.loadStateDict: group 0 of the saved state has no momentum \(it has lr, betas, eps, .*\), so it is not SGD's state/);
    // The file itself (torch.load's habit) where the state dict goes: what to pass instead.
    const file = await loadTorchFile(PT('tutorial_checkpoint_sgd.pt'));
    expect(() => model.loadStateDict(file as never)).toThrow(/this is a whole PyTorch file .*pass its \.tensors: model\.loadStateDict\(file\.tensors\), or from a checkpoint the model's entry of \.object/);
    model.loadStateDict(file.tensors); // the checkpoint's model_state_dict, found by loadTorchFile
    // The whole checkpoint where the model's state dict goes: every key named.
    expect(() => model.loadStateDict(checkpoint)).toThrow(/missing.*conv1\.weight[\s\S]*unexpected.*epoch/i);
  });

  for (const [name, format] of [
    ['sgd', 'json'],
    ['adam', 'json'],
    ['sgd', 'pt'],
    ['adam', 'pt'],
  ] as const) {
    it(`${name}: gradlab's own checkpoint (${format === 'json' ? 'JSON' : 'saveTorchFile, torch.save\'s format'}) resumes bit for bit, the optimizer state included`, async () => {
      const run = async (saveAt: number | null) => {
        let model = new Mnist_CNN();
        model.loadStateDict(detState(model));
        let optimizer = makers[name](model.parameters());
        const losses: number[] = [];
        for (let epoch = 0; epoch < 2; epoch++) {
          for (const [xb, yb] of train_dl) losses.push(loss_batch(model, xb, yb, optimizer));
          if (epoch === saveAt) {
            const PATH = join(dir, `${name}.${format}`);
            // torch.save({'epoch': epoch, 'model_state_dict': …, 'optimizer_state_dict': …, 'loss': loss}, PATH)
            // In torch.save's format, the optimizer state in PyTorch's form, as torch.load and optimizer.load_state_dict in PyTorch read it.
            const saved = { epoch, model_state_dict: model.stateDict(), optimizer_state_dict: format === 'json' ? optimizer.stateDict() : optimizer.torchStateDict(), loss: losses[losses.length - 1] };
            if (format === 'json') writeFileSync(PATH, JSON.stringify(saved));
            else await saveTorchFile(PATH, saved);
            model = new Mnist_CNN();
            optimizer = makers[name](model.parameters());
            // checkpoint = torch.load(PATH)
            const checkpoint = format === 'json' ? JSON.parse(readFileSync(PATH, 'utf8')) : ((await loadTorchFile(PATH)).object as Record<string, any>);
            expect(checkpoint.loss).toBe(saved.loss);
            model.loadStateDict(checkpoint.model_state_dict);
            optimizer.loadStateDict(checkpoint.optimizer_state_dict);
            expect(checkpoint.epoch).toBe(epoch);
            model.train();
          }
        }
        return [losses, Array.from(model.conv1.weight.data)];
      };
      const [straight, w1] = await run(null);
      const [resumed, w2] = await run(0);
      expect(resumed).toEqual(straight);
      expect(w2).toEqual(w1);
    });
  }
});

describe('lines of these tutorials written as PyTorch users write them', () => {
  it("WrappedDataLoader (for b in self.dl: yield self.func(*b)) and inputs, labels = data[0], data[1]", () => {
    const preprocess = (x: Tensor, y: Tensor) => [x.view(-1, 1, 28, 28), y];
    class WrappedDataLoader {
      constructor(
        private dl: DataLoader,
        private func: (x: Tensor, y: Tensor) => Tensor[],
      ) {}
      get length() {
        return this.dl.length; // def __len__(self): return len(self.dl)
      }
      *[Symbol.iterator]() {
        for (const b of this.dl) yield this.func(...(b as unknown as [Tensor, Tensor]));
      }
    }
    const dl = new DataLoader(new TensorDataset(det([10, 784], 1), labels(10, 0)), { batchSize: 4 });
    const wrapped = new WrappedDataLoader(dl, preprocess);
    expect(wrapped.length).toBe(3);
    expect([...wrapped].map(([xb]) => xb.shape)).toEqual([
      [4, 1, 28, 28],
      [4, 1, 28, 28],
      [2, 1, 28, 28],
    ]);
    // dataiter = iter(trainloader); images, labels = next(dataiter); and data[0], data[1] of a batch
    const data = dl[Symbol.iterator]().next().value!;
    const [inputs, targets] = [data[0].to('cpu'), data[1].to('cpu')];
    expect(inputs.shape).toEqual([4, 784]);
    expect(targets.tolist()).toEqual([0, 3, 6, 9]);
    expect(data.length).toBe(2);
  });

  it("optim.SGD(net.parameters(), 0.001, 0.9) and Adam's positional options are PyTorch's, never silently dropped", () => {
    const net = new Net();
    expect(new optim.SGD(net.parameters(), 0.001, 0.9).groups[0].options).toMatchObject({ lr: 0.001, momentum: 0.9 });
    expect(new optim.SGD(net.parameters(), 0.001, { momentum: 0.9 }).groups[0].options).toMatchObject({ lr: 0.001, momentum: 0.9 });
    expect(new optim.Adam(net.parameters(), 0.01, [0.8, 0.9]).groups[0].options).toMatchObject({ lr: 0.01, betas: [0.8, 0.9] });
    expect(new optim.RMSprop(net.parameters(), 0.01, 0.9).groups[0].options).toMatchObject({ lr: 0.01, alpha: 0.9 });
    expect(() => new optim.SGD(net.parameters(), 0.001, 0.9, 0, 0, false, 1 as never)).toThrow('SGD: at most 5 positional arguments (lr, momentum, dampening, weightDecay, nesterov), got 6');
    expect(() => new optim.SGD(net.parameters(), 0.001, 0.9, { momentum: 0.5 } as never)).toThrow('SGD: momentum given both positionally and in the options');
    expect(() => new optim.SGD(net.parameters(), 0.001, { weight_decay: 5e-4 } as never)).toThrow(/unknown option 'weight_decay' \(gradlab spells it weightDecay\)/);
  });

  it('nn.Conv2d(3, 6, kernel_size=5), nn.MaxPool2d(kernel_size=2, stride=2), nn.Linear(in_features=…), nn.Softmax(dim=1) with the keywords as a last object', () => {
    expect(String(new nn.Conv2d(3, 6, { kernelSize: 5 }))).toBe(String(new nn.Conv2d(3, 6, 5)));
    expect(String(new nn.Conv2d(1, 16, 3, 2, { padding: 1 }))).toBe('Conv2d(1, 16, kernelSize=[3,3], stride=[2,2], padding=[1,1])');
    expect(String(new nn.MaxPool2d({ kernelSize: 2, stride: 2 }))).toBe(String(new nn.MaxPool2d(2, 2)));
    expect(String(new nn.AvgPool2d(3, { stride: 1, padding: 1 }))).toBe(String(new nn.AvgPool2d(3, 1, 1)));
    expect(() => new nn.Conv2d(3, 6, { kernel_size: 5 } as never)).toThrow(/Conv2d: unknown option 'kernel_size' \(gradlab spells it kernelSize\)/);
    expect(() => new nn.Conv2d(3, 6, { stride: 2 } as never)).toThrow(/Conv2d: kernelSize is missing/);
    expect(() => new nn.Conv2d(3, 6, 5, { kernelSize: 3 } as never)).toThrow(/Conv2d: unknown option 'kernelSize'; the options are stride, padding/);
    expect(() => new nn.Conv2d(3, 6, 5, 1, { stride: 2 } as never)).toThrow('Conv2d: stride given both positionally and in the options');
    // "Build the Neural Network": nn.Linear(in_features=28*28, out_features=20), nn.Softmax(dim=1)
    expect(String(new nn.Linear({ inFeatures: 28 * 28, outFeatures: 20 }))).toBe('Linear(inFeatures=784, outFeatures=20, bias=true)');
    expect(new nn.Linear(784, { outFeatures: 20, bias: false }).bias).toBeNull();
    expect(() => new nn.Linear({ in_features: 784, out_features: 20 } as never)).toThrow(/Linear: unknown option 'in_features' \(gradlab spells it inFeatures\)/);
    expect(String(new nn.Softmax({ dim: 1 }))).toBe('Softmax(dim=1)');
    expect(String(new nn.LogSoftmax({ dim: 1 }))).toBe('LogSoftmax(dim=1)');
    expect(() => new nn.MaxPool2d({ stride: 2 } as never)).toThrow(/MaxPool2d: kernelSize must be an integer ≥ 1/);
  });
});

describe("PyTorch's dtype spellings", () => {
  it("(pred.argmax(1) == y).type(torch.float) with 'torch.float', and x.type(x.type()) with 'torch.FloatTensor'", () => {
    const pred = tensor([
      [0.1, 2],
      [3, 1],
    ]);
    const y = tensor([1, 1]);
    expect(pred.argmax(1).eq(y).type('torch.float' as never).sum().item()).toBe(1);
    const x = tensor([1.5, -2.5]);
    expect(x.type(x.type() as never).dtype).toBe('float32');
    expect(x.type('torch.DoubleTensor' as never).dtype).toBe('float64');
    expect(x.type('torch.LongTensor' as never).tolist()).toEqual([1, -2]);
    expect(() => x.type('torch.int8' as never)).toThrow(/type\(\): expected a dtype .* got 'torch.int8'/);
    expect(() => x.type('torch.cuda.FloatTensor' as never)).toThrow(/no 'torch.cuda.FloatTensor' device/);
  });
});

describe('a one-element tensor where JS wants a number', () => {
  it('running_loss += loss adds the value (not string concatenation); text stays the printed tensor; a larger tensor used as a number is an error', () => {
    const criterion = new nn.CrossEntropyLoss();
    const l = criterion.forward(tensor([[1, 2, 3]]), tensor([2]));
    let running_loss = 0.0;
    running_loss += l as unknown as number; // the tutorial's loss.item() is the documented spelling; this one works too
    expect(typeof running_loss).toBe('number');
    expect(running_loss).toBe(l.item());
    expect(Number(tensor(2.5))).toBe(2.5);
    expect((tensor([[0.75]]) as unknown as number) > 0.5).toBe(true);
    expect(String(tensor(2))).toBe('tensor(2.)');
    expect(`${tensor([1, 2])}`).toBe('tensor([1., 2.])');
    expect('x = ' + tensor([1, 2])).toBe('x = tensor([1., 2.])');
    expect(() => (tensor([1, 2]) as unknown as number) > 1).toThrow(/a tensor of shape \[2\] \(2 elements\) used as a number: only a one-element tensor converts \(loss\.item\(\)\)/);
    expect(() => Math.max(randn(3) as unknown as number)).toThrow(/used as a number/);
    // torch.randn(784, 10) / math.sqrt(784) written with JS's operator: an error, not a NaN
    expect(() => (randn(784, 10) as unknown as number) / Math.sqrt(784)).toThrow(/a tensor of shape \[784, 10\] \(7840 elements\) used as a number/);
    // F.cross_entropy and the other functional losses are where `import { ops as F }` looks
    expect([F.crossEntropy, F.nllLoss, F.mseLoss, F.l1Loss, F.huberLoss, F.binaryCrossEntropyWithLogits, F.binaryCrossEntropy]).toEqual([loss.crossEntropy, loss.nllLoss, loss.mse, loss.l1, loss.huber, loss.bceWithLogits, loss.bce]);
  });
});

describe('saveTorchFile: what torch.save writes', () => {
  it('round-trips tensors, numbers, strings, booleans, null and nesting through loadTorchFile; what a torch file cannot hold is named', async () => {
    const PATH = join(dir, 'things.pt');
    const things = { t: tensor([[1, 2], [3, 4]]), d: tensor([0.1], { dtype: 'float64' }), s: 'héllo', i: -7, big: 2 ** 40, f: 0.25, b: false, n: null, list: [1, [2, 'x']], nested: { a: { b: 3 } } };
    await saveTorchFile(PATH, things);
    const back = (await loadTorchFile(PATH)).object as Record<string, any>;
    expect(back.t.tolist()).toEqual([[1, 2], [3, 4]]);
    expect([back.d.dtype, back.d.data[0]]).toEqual(['float64', 0.1]);
    const { t, d, ...rest } = back;
    expect(rest).toEqual({ s: 'héllo', i: -7, big: 2 ** 40, f: 0.25, b: false, n: null, list: [1, [2, 'x']], nested: { a: { b: 3 } } });
    // A model's state dict saved alone is what loadTorchFile's .tensors (and loadModel) read.
    const net = new Net();
    await saveTorchFile(PATH, net.stateDict());
    const net2 = new Net();
    net2.loadStateDict((await loadTorchFile(PATH)).tensors);
    expect(Array.from(net2.fc3.weight.data)).toEqual(Array.from(net.fc3.weight.data));
    await expect(saveTorchFile(PATH, { model: net })).rejects.toThrow(/things\.pt: model is a Net, which a torch file cannot hold/);
    await expect(saveTorchFile(PATH, { f: () => 1 })).rejects.toThrow(/f is a function/);
  });
});

describe('a checkpoint gradlab writes, read by PyTorch', () => {
  it("saveTorchFile's bytes are the file PyTorch's torch.load read, and gradlab resumes from it with the losses PyTorch's optimizers had", async () => {
    const ref = REF.fromGradlab;
    const saved = gradlabCheckpoint(G);
    const PATH = join(dir, 'gradlab_checkpoint.pt');
    await saveTorchFile(PATH, saved);
    // The file make_pytorch_tutorials.py loaded into PyTorch is the file saveTorchFile writes today.
    expect(readFileSync(PATH).equals(readFileSync(PT('gradlab_checkpoint.pt')))).toBe(true);
    const checkpoint = (await loadTorchFile(PATH)).object as Record<string, any>;
    expect([checkpoint.epoch, checkpoint.note, checkpoint.loss]).toEqual([ref.epoch, ref.note, ref.loss]);
    const xg = det([5, 3], 80);
    const yg = tensor([1, 0, 1, 0, 1]); // labels(5, 1) % 2
    for (const name of ['sgd', 'adam'] as const) {
      const m = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
      m.loadStateDict(checkpoint.model_state_dict);
      const opt = name === 'sgd' ? new optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 }) : new optim.Adam(m.parameters(), { lr: 0.01 });
      opt.loadStateDict(checkpoint[`${name}_state_dict`]);
      const losses: number[] = [];
      for (let i = 0; i < 2; i++) {
        opt.zeroGrad();
        const l = F.crossEntropy(m.forward(xg), yg);
        l.backward();
        opt.step();
        losses.push(l.item());
      }
      close(losses, ref[name].losses, 1e-6);
      close((m[0] as nn.Linear).weight.data, ref[name].weight0, 1e-5);
    }
  });
});

describe('"Saving multiple models in one file"', () => {
  it("modelA/modelB and their optimizers from one torch.save dict: each loaded from .object, training continues as in PyTorch; .tensors says why there is no one state dict", async () => {
    const ref = REF.twoModels;
    const file = await loadTorchFile(PT('tutorial_two_models.pt'));
    const checkpoint = file.object as Record<string, any>;
    expect(Object.keys(checkpoint)).toEqual(['modelA_state_dict', 'modelB_state_dict', 'optimizerA_state_dict', 'optimizerB_state_dict']);
    const modelA = new nn.Linear(3, 2);
    const modelB = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU(), new nn.Linear(2, 1));
    const optimizerA = new optim.SGD(modelA.parameters(), { lr: 0.1, momentum: 0.9 });
    const optimizerB = new optim.Adam(modelB.parameters(), { lr: 0.01 });
    modelA.loadStateDict(checkpoint.modelA_state_dict);
    modelB.loadStateDict(checkpoint.modelB_state_dict);
    optimizerA.loadStateDict(checkpoint.optimizerA_state_dict);
    optimizerB.loadStateDict(checkpoint.optimizerB_state_dict);
    modelA.train();
    modelB.train();
    const xm = det([4, 3], 33);
    optimizerA.zeroGrad();
    optimizerB.zeroGrad();
    const second = modelB.forward(modelA.forward(xm)).pow(2).mean();
    second.backward();
    optimizerA.step();
    optimizerB.step();
    expect(second.item()).toBeCloseTo(ref.secondLoss, 6);
    close(modelA.weight.data, ref.modelA, 1e-5);
    close((modelB[2] as nn.Linear).weight.data, ref.modelB, 1e-5);
    expect(() => file.tensors).toThrow(/tutorial_two_models\.pt: holds a dict with keys "modelA_state_dict", .*with several state dicts \("modelA_state_dict", "modelB_state_dict"\): take each from \.object \(checkpoint\.modelA_state_dict\)/);
  });
});
