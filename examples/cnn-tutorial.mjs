// PyTorch's "Training a classifier" tutorial (the CIFAR-10 LeNet), ported line by line to
// Fashion-MNIST (1 channel, 28×28): a custom Module with conv and pooling layers, a criterion
// object, a DataLoader iterated as (inputs, labels), model.apply(initWeights), a StepLR schedule,
// and an evaluation loop under noGrad that counts correct predictions.
// Run after `npm run build`:  node examples/cnn-tutorial.mjs [--quick]
import { manualSeed, nn, optim, noGrad, init, tensor, DataLoader } from 'gradlab';
import { loadFashionMnist } from 'gradlab/node';

const quick = process.argv.includes('--quick');
manualSeed(0);

class Net extends nn.Module {
  constructor() {
    super();
    this.conv1 = new nn.Conv2d(1, 6, 5);
    this.pool = new nn.MaxPool2d(2, 2);
    this.conv2 = new nn.Conv2d(6, 16, 5);
    this.fc1 = new nn.Linear(16 * 4 * 4, 120);
    this.fc2 = new nn.Linear(120, 84);
    this.fc3 = new nn.Linear(84, 10);
  }
  forward(x) {
    x = this.pool.forward(this.conv1.forward(x).relu());
    x = this.pool.forward(this.conv2.forward(x).relu());
    x = x.flatten(1); // all dimensions except the batch
    x = this.fc1.forward(x).relu();
    x = this.fc2.forward(x).relu();
    return this.fc3.forward(x);
  }
}

// def init_weights(m): if isinstance(m, (nn.Conv2d, nn.Linear)): kaiming_normal_(m.weight, nonlinearity='relu'); m.bias.data.fill_(0)
function initWeights(m) {
  if (m instanceof nn.Conv2d || m instanceof nn.Linear) {
    init.kaimingNormal(m.weight, { nonlinearity: 'relu' });
    m.bias.data.fill(0);
  }
}

const full = await loadFashionMnist(undefined, { split: 'train' });
const testFull = await loadFashionMnist(undefined, { split: 'test' });
const nTrain = quick ? 6000 : 60000;
const nTest = quick ? 2000 : 10000;
// Images as [N, 1, 28, 28], as torchvision's ToTensor gives them.
const trainset = { x: tensor(full.x.data.subarray(0, nTrain * 784), [nTrain, 1, 28, 28]), y: tensor(full.y.data.subarray(0, nTrain), [nTrain]) };
const testset = { x: tensor(testFull.x.data.subarray(0, nTest * 784), [nTest, 1, 28, 28]), y: tensor(testFull.y.data.subarray(0, nTest), [nTest]) };
const trainloader = new DataLoader(trainset, { batchSize: 32, shuffle: true });
const testloader = new DataLoader(testset, { batchSize: 500 });

const net = new Net();
net.apply(initWeights);
const criterion = new nn.CrossEntropyLoss();
const optimizer = new optim.SGD(net.parameters(), { lr: 0.01, momentum: 0.9 });
const scheduler = new optim.StepLR(optimizer, 1, 0.5);

const epochs = quick ? 2 : 4;
for (let epoch = 0; epoch < epochs; epoch++) {
  net.train();
  let runningLoss = 0;
  let i = 0;
  for (const [inputs, labels] of trainloader) {
    optimizer.zeroGrad();
    const outputs = net.forward(inputs);
    const l = criterion.forward(outputs, labels);
    l.backward();
    optimizer.step();
    runningLoss += l.item();
    if (++i % 500 === 0) {
      console.log(`[${epoch + 1}, ${String(i).padStart(5)}] loss: ${(runningLoss / 500).toFixed(3)}`);
      runningLoss = 0;
    }
  }
  scheduler.step();
  net.eval();
  let correct = 0;
  let total = 0;
  noGrad(() => {
    for (const [inputs, labels] of testloader) {
      const predicted = net.forward(inputs).argmax(1);
      total += labels.shape[0];
      correct += predicted.eq(labels).sum().item();
    }
  });
  console.log(`epoch ${epoch + 1}: lr ${scheduler.getLastLr()[0]}, accuracy of the network on the ${total} test images: ${((100 * correct) / total).toFixed(1)}%`);
}
console.log(`state dict keys: ${Object.keys(net.stateDict()).join(', ')}`);
