// PyTorch's "build a network, write the training loop" tutorial, ported line by line: a residual
// MLP made of a custom Module and an nn.ModuleList, a plain training loop (no stepScope, no
// dispose), a custom metric written with tensor ops, on Fashion-MNIST.
// Run after `npm run build`:  node examples/pytorch-style.mjs [--quick]
import { manualSeed, tensor, nn, optim, loss, noGrad, ops, Generator } from 'gradlab';
import { loadFashionMnist } from 'gradlab/node';

const quick = process.argv.includes('--quick');
manualSeed(0);

// class Block(nn.Module): x + lin2(relu(bn(lin1(x))))
class Block extends nn.Module {
  constructor(width) {
    super();
    this.lin1 = new nn.Linear(width, width);
    this.bn = new nn.BatchNorm1d(width);
    this.lin2 = new nn.Linear(width, width);
  }
  forward(x) {
    return x.add(this.lin2.forward(this.bn.forward(this.lin1.forward(x)).relu()));
  }
}

class ResidualMLP extends nn.Module {
  constructor(inputs, width, depth, classes) {
    super();
    this.stem = new nn.Linear(inputs, width);
    this.blocks = new nn.ModuleList(Array.from({ length: depth }, () => new Block(width)));
    this.head = new nn.Linear(width, classes);
  }
  forward(x) {
    let h = this.stem.forward(x).relu();
    for (const block of this.blocks) h = block.forward(h);
    return this.head.forward(h);
  }
}

// A custom metric from tensor ops: accuracy = mean(argmax(logits, 1) == y).
const accuracy = (logits, y) => logits.argmax(1).eq(y).mean().item();

const train = await loadFashionMnist(undefined, { split: 'train' });
const test = await loadFashionMnist(undefined, { split: 'test' });
const nTrain = quick ? 6000 : train.x.shape[0];
const nTest = quick ? 2000 : test.x.shape[0];
const X = train.x.data, Y = train.y.data;

const model = new ResidualMLP(784, 128, 3, 10);
const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
const batchSize = 64;
const epochs = quick ? 2 : 5;
const gen = new Generator(1);
const xb = new Float32Array(batchSize * 784);
const yb = new Float32Array(batchSize);

for (let epoch = 0; epoch < epochs; epoch++) {
  model.train();
  const perm = gen.permutation(nTrain);
  let running = 0;
  let batches = 0;
  for (let start = 0; start + batchSize <= nTrain; start += batchSize) {
    for (let r = 0; r < batchSize; r++) {
      const i = perm[start + r];
      xb.set(X.subarray(i * 784, (i + 1) * 784), r * 784);
      yb[r] = Y[i];
    }
    const inputs = tensor(xb, [batchSize, 784]);
    const labels = tensor(yb, [batchSize]);
    optimizer.zeroGrad();
    const outputs = model.forward(inputs);
    const l = loss.crossEntropy(outputs, labels);
    l.backward();
    optimizer.step();
    running += l.item();
    batches++;
  }
  model.eval();
  const acc = noGrad(() => accuracy(model.forward(tensor(test.x.data.subarray(0, nTest * 784), [nTest, 784])), tensor(test.y.data.subarray(0, nTest), [nTest])));
  console.log(`epoch ${epoch + 1}: loss ${(running / batches).toFixed(4)}, test accuracy ${(100 * acc).toFixed(2)}%`);
}
console.log(`parameters: ${model.parameters().length} tensors; state dict keys: ${Object.keys(model.stateDict()).slice(0, 4).join(', ')}, …`);
