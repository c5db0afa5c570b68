// PyTorch's "Training a Classifier" (CIFAR-10), ported line by line: the Net of the tutorial on
// 3×32×32 images of 10 classes, F.relu / torch.flatten(x, 1) as ops, SGD(lr=0.001, momentum=0.9)
// on mini-batches of 4, the running loss printed every 2000 mini-batches, save and load of
// net.state_dict() into a new Net, `_, predicted = torch.max(outputs.data, 1)`, the accuracy and
// the per-class accuracy dict.
// CIFAR-10 itself is not shipped, so the images are a synthetic CIFAR-shaped set that a conv net
// can learn: each class is an oriented stripe pattern of its own frequency and colour, at a random
// phase, under noise (so a pixel alone says little; the oriented edges the filters find say it all).
// Run after `npm run build`:  node examples/cifar-tutorial.mjs [--quick]
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataLoader, TensorDataset, defaultGenerator, manualSeed, nn, noGrad, ops, optim, tensor } from 'gradlab';

const quick = process.argv.includes('--quick');
manualSeed(0);

const classes = ['plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** n images [n, 3, 32, 32] in [−1, 1] (as transforms.Normalize((0.5,)*3, (0.5,)*3) leaves them) and their labels. */
function syntheticCifar(n) {
  // Built in a plain array, as images read from files are; tensor() takes it once.
  const d = new Float32Array(n * 3 * 32 * 32);
  for (let j = 0; j < d.length; j++) d[j] = 0.6 * defaultGenerator.normal(); // the noise
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % 10;
    y[i] = k;
    const angle = (Math.PI * (k % 5)) / 5; // 5 orientations
    const freq = k < 5 ? 0.55 : 1.1; // × 2 frequencies
    const phase = 2 * Math.PI * defaultGenerator.random();
    const colour = [Math.cos(k), Math.sin(1.3 * k), Math.cos(2.1 * k + 1)];
    for (let r = 0; r < 32; r++) {
      for (let c = 0; c < 32; c++) {
        const s = Math.sin(freq * (c * Math.cos(angle) + r * Math.sin(angle)) + phase);
        for (let ch = 0; ch < 3; ch++) {
          const j = ((i * 3 + ch) * 32 + r) * 32 + c;
          d[j] = Math.max(-1, Math.min(1, d[j] + 0.4 * s * (0.5 + 0.5 * colour[ch])));
        }
      }
    }
  }
  return new TensorDataset(tensor(d, [n, 3, 32, 32]), tensor(y, [n]));
}

const batchSize = 4;
const trainset = syntheticCifar(quick ? 2000 : 12000);
const trainloader = new DataLoader(trainset, { batchSize, shuffle: true, numWorkers: 2 });
const testset = syntheticCifar(quick ? 1000 : 2000);
const testloader = new DataLoader(testset, { batchSize, shuffle: false, numWorkers: 2 });

// dataiter = iter(trainloader); images, labels = next(dataiter)
const [, firstLabels] = trainloader[Symbol.iterator]().next().value;
// print(' '.join(f'{classes[labels[j]]:5s}' for j in range(batch_size))): a label tensor's values are its .data
console.log(Array.from(firstLabels.data, (l) => classes[l].padEnd(5)).join(' '));

class Net extends nn.Module {
  constructor() {
    super();
    this.conv1 = new nn.Conv2d(3, 6, 5);
    this.pool = new nn.MaxPool2d(2, 2);
    this.conv2 = new nn.Conv2d(6, 16, 5);
    this.fc1 = new nn.Linear(16 * 5 * 5, 120);
    this.fc2 = new nn.Linear(120, 84);
    this.fc3 = new nn.Linear(84, 10);
  }
  forward(x) {
    x = this.pool.forward(ops.relu(this.conv1.forward(x)));
    x = this.pool.forward(ops.relu(this.conv2.forward(x)));
    x = ops.flatten(x, 1); // flatten all dimensions except batch
    x = ops.relu(this.fc1.forward(x));
    x = ops.relu(this.fc2.forward(x));
    x = this.fc3.forward(x);
    return x;
  }
}

let net = new Net();
const criterion = new nn.CrossEntropyLoss();
const optimizer = new optim.SGD(net.parameters(), { lr: 0.001, momentum: 0.9 });

const every = quick ? 250 : 2000;
for (let epoch = 0; epoch < 2; epoch++) { // loop over the dataset multiple times
  let runningLoss = 0.0;
  let i = 0;
  for (const [inputs, labels] of trainloader) {
    // zero the parameter gradients
    optimizer.zeroGrad();
    // forward + backward + optimize
    const outputs = net.forward(inputs);
    const loss = criterion.forward(outputs, labels);
    loss.backward();
    optimizer.step();
    // print statistics
    runningLoss += loss.item();
    if (i % every === every - 1) { // print every 2000 mini-batches (250 with --quick)
      console.log(`[${epoch + 1}, ${String(i + 1).padStart(5)}] loss: ${(runningLoss / every).toFixed(3)}`);
      runningLoss = 0.0;
    }
    i++;
  }
}
console.log('Finished Training');

// torch.save(net.state_dict(), PATH): a state dict is JSON (each tensor {shape, data}).
const dir = mkdtempSync(join(tmpdir(), 'gradlab-cifar-'));
const PATH = join(dir, 'cifar_net.json');
writeFileSync(PATH, JSON.stringify(net.stateDict()));

const [images, labels] = testloader[Symbol.iterator]().next().value;
console.log('GroundTruth: ', Array.from(labels.data, (l) => classes[l].padEnd(5)).join(' '));
net = new Net();
net.loadStateDict(JSON.parse(readFileSync(PATH, 'utf8')));
rmSync(dir, { recursive: true });
const outputs = net.forward(images);
const [, predicted] = ops.max(outputs, 1);
console.log('Predicted: ', Array.from(predicted.data, (p) => classes[p].padEnd(5)).join(' '));

let correct = 0;
let total = 0;
// since we're not training, we don't need to calculate the gradients for our outputs
noGrad(() => {
  for (const [images, labels] of testloader) {
    // calculate outputs by running images through the network
    const outputs = net.forward(images);
    // the class with the highest energy is what we choose as prediction
    const [, predicted] = ops.max(outputs, 1);
    total += labels.shape[0]; // labels.size(0)
    correct += predicted.eq(labels).sum().item(); // (predicted == labels).sum().item()
  }
});
console.log(`Accuracy of the network on the ${total} test images: ${Math.floor((100 * correct) / total)} %`);

// prepare to count predictions for each class
const correctPred = Object.fromEntries(classes.map((c) => [c, 0]));
const totalPred = Object.fromEntries(classes.map((c) => [c, 0]));
noGrad(() => {
  for (const [images, labels] of testloader) {
    const outputs = net.forward(images);
    const [, predictions] = ops.max(outputs, 1);
    // collect the correct predictions for each class: for label, prediction in zip(labels, predictions)
    const p = predictions.data;
    labels.data.forEach((label, j) => {
      if (label === p[j]) correctPred[classes[label]] += 1;
      totalPred[classes[label]] += 1;
    });
  }
});
// print accuracy for each class
for (const [classname, correctCount] of Object.entries(correctPred)) {
  const accuracy = (100 * correctCount) / totalPred[classname];
  console.log(`Accuracy for class: ${classname.padEnd(5)} is ${accuracy.toFixed(1)} %`);
}
