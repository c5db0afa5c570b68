// PyTorch's "Learn the Basics" Quickstart, ported line by line: Fashion-MNIST in a TensorDataset
// and DataLoader, a `class NeuralNetwork extends nn.Module` with nn.Flatten and an
// nn.Sequential, train() and test() functions as the tutorial writes them (model.train(),
// loss.item(), optimizer.zeroGrad(), model.eval() under noGrad, (pred.argmax(1) == y).float()
// .sum().item()), then saving the state dict, loading it into a new model and predicting.
// A subset of the data (--quick: smaller still) so that it runs in seconds.
// Run after `npm run build`:  node examples/quickstart.mjs [--quick]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed, tensor, nn, optim, noGrad, DataLoader, TensorDataset } from 'gradlab';
import { loadFashionMnist, saveTorchFile, loadTorchFile } from 'gradlab/node';

const quick = process.argv.includes('--quick');
manualSeed(0);

// training_data = datasets.FashionMNIST(root="data", train=True, transform=ToTensor()), a subset
const full = await loadFashionMnist(undefined, { split: 'train' });
const fullTest = await loadFashionMnist(undefined, { split: 'test' });
const nTrain = quick ? 6000 : 20000;
const nTest = quick ? 1000 : 5000;
const training_data = new TensorDataset(tensor(full.x.data.subarray(0, nTrain * 784), [nTrain, 1, 28, 28]), tensor(full.y.data.subarray(0, nTrain), [nTrain]));
const test_data = new TensorDataset(tensor(fullTest.x.data.subarray(0, nTest * 784), [nTest, 1, 28, 28]), tensor(fullTest.y.data.subarray(0, nTest), [nTest]));

const batch_size = 64;
const train_dataloader = new DataLoader(training_data, { batchSize: batch_size });
const test_dataloader = new DataLoader(test_data, { batchSize: batch_size });
for (const [X, y] of test_dataloader) {
  console.log(`Shape of X [N, C, H, W]: [${X.shape}]`);
  console.log(`Shape of y: [${y.shape}] ${y.dtype}`);
  break;
}

const device = 'cpu';
console.log(`Using ${device} device`);

class NeuralNetwork extends nn.Module {
  constructor() {
    super();
    this.flatten = new nn.Flatten();
    this.linear_relu_stack = new nn.Sequential(
      new nn.Linear(28 * 28, 512),
      new nn.ReLU(),
      new nn.Linear(512, 512),
      new nn.ReLU(),
      new nn.Linear(512, 10),
    );
  }
  forward(x) {
    x = this.flatten.forward(x);
    const logits = this.linear_relu_stack.forward(x);
    return logits;
  }
}
const model = new NeuralNetwork().to(device);
console.log(String(model));

const loss_fn = new nn.CrossEntropyLoss();
const optimizer = new optim.SGD(model.parameters(), { lr: 1e-3 * 10 }); // the tutorial's 1e-3 needs its 5 epochs of 60,000

function train(dataloader, model, loss_fn, optimizer) {
  const size = dataloader.dataset.length;
  model.train();
  let batch = 0;
  for (let [X, y] of dataloader) {
    [X, y] = [X.to(device), y.to(device)];
    // Compute prediction error
    const pred = model.forward(X);
    const loss = loss_fn.forward(pred, y);
    // Backpropagation
    loss.backward();
    optimizer.step();
    optimizer.zeroGrad();
    if (batch % 100 === 0) {
      const current = (batch + 1) * X.length; // len(X)
      console.log(`loss: ${loss.item().toFixed(6).padStart(9)}  [${String(current).padStart(5)}/${String(size).padStart(5)}]`);
    }
    batch++;
  }
}

function test(dataloader, model, loss_fn) {
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
  test_loss /= num_batches;
  correct /= size;
  console.log(`Test Error: \n Accuracy: ${(100 * correct).toFixed(1)}%, Avg loss: ${test_loss.toFixed(6)} \n`);
}

const epochs = quick ? 2 : 5;
for (let t = 0; t < epochs; t++) {
  console.log(`Epoch ${t + 1}\n-------------------------------`);
  train(train_dataloader, model, loss_fn, optimizer);
  test(test_dataloader, model, loss_fn);
}
console.log('Done!');

// torch.save(model.state_dict(), "model.pth")
const dir = mkdtempSync(join(tmpdir(), 'gradlab-quickstart-'));
const path = join(dir, 'model.pth');
await saveTorchFile(path, model.stateDict()); // the file torch.save writes: PyTorch's torch.load reads it
console.log('Saved PyTorch Model State to model.pth');

// model = NeuralNetwork(); model.load_state_dict(torch.load("model.pth"))
const model2 = new NeuralNetwork().to(device);
console.log(model2.loadStateDict((await loadTorchFile(path)).tensors));
rmSync(dir, { recursive: true });

const classes = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
model2.eval();
const [x, y] = [test_data[0][0], test_data[0][1]];
noGrad(() => {
  const pred = model2.forward(x.unsqueeze(0));
  const [predicted, actual] = [classes[pred.select(0, 0).argmax(0).item()], classes[y.item()]];
  console.log(`Predicted: "${predicted}", Actual: "${actual}"`);
});
