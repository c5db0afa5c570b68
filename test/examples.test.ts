import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The examples run against the built package (`npm run build`), as a user would run them.
describe('examples', () => {
  it('spiral-batchnorm-adam trains a BatchNorm MLP with Adam to high accuracy', () => {
    expect(existsSync('dist/index.js'), 'dist/ is missing: run `npm run build` before the tests').toBe(true);
    const out = execFileSync('node', ['examples/spiral-batchnorm-adam.mjs'], { encoding: 'utf8' });
    const m = /accuracy ([\d.]+)%/.exec(out);
    expect(m, out).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(90);
    expect(out).toContain('1.running_mean');
  });

  it('pytorch-style: a residual MLP (custom Module + ModuleList) trained with a plain loop learns Fashion-MNIST', () => {
    expect(existsSync('dist/index.js'), 'dist/ is missing: run `npm run build` before the tests').toBe(true);
    const out = execFileSync('node', ['examples/pytorch-style.mjs', '--quick'], { encoding: 'utf8' });
    const accs = [...out.matchAll(/test accuracy ([\d.]+)%/g)].map((m) => Number(m[1]));
    expect(accs.length, out).toBe(2);
    expect(accs[1]).toBeGreaterThan(75);
    expect(out).toContain('blocks.0.lin1.weight');
  });

  it("cnn-tutorial: PyTorch's 'Training a classifier' CNN, ported line by line, learns Fashion-MNIST", () => {
    expect(existsSync('dist/index.js'), 'dist/ is missing: run `npm run build` before the tests').toBe(true);
    const out = execFileSync('node', ['examples/cnn-tutorial.mjs', '--quick'], { encoding: 'utf8' });
    const accs = [...out.matchAll(/test images: ([\d.]+)%/g)].map((m) => Number(m[1]));
    expect(accs.length, out).toBe(2);
    expect(accs[1], out).toBeGreaterThan(70);
    // StepLR(optimizer, 1, 0.5) halves the lr every epoch; the keys are PyTorch's for this Net.
    expect(out).toContain('epoch 2: lr 0.0025');
    expect(out).toContain('state dict keys: conv1.weight, conv1.bias, conv2.weight, conv2.bias, fc1.weight, fc1.bias, fc2.weight, fc2.bias, fc3.weight, fc3.bias');
  });

  it("quickstart: PyTorch's Quickstart, ported line by line, trains on Fashion-MNIST, saves, loads and predicts", () => {
    expect(existsSync('dist/index.js'), 'dist/ is missing: run `npm run build` before the tests').toBe(true);
    const out = execFileSync('node', ['examples/quickstart.mjs', '--quick'], { encoding: 'utf8' });
    const accs = [...out.matchAll(/Accuracy: ([\d.]+)%/g)].map((m) => Number(m[1]));
    expect(accs.length, out).toBe(2);
    expect(accs[1], out).toBeGreaterThan(65);
    expect(out).toContain('(linear_relu_stack): Sequential(');
    expect(out).toContain('[   64/ 6000]'); // len(dataloader.dataset) of the TensorDataset
    expect(out).toContain("{ missingKeys: [], unexpectedKeys: [] }");
    expect(out).toMatch(/Predicted: "[^"]+", Actual: "Ankle boot"/);
  });

  it("nn-tutorial: 'What is torch.nn really?', from hand-made weights to nn.Sequential with a Lambda, learns the digits", () => {
    expect(existsSync('dist/index.js'), 'dist/ is missing: run `npm run build` before the tests').toBe(true);
    const out = execFileSync('node', ['examples/nn-tutorial.mjs'], { encoding: 'utf8' });
    const scratch = /from scratch: loss [\d.]+, validation accuracy ([\d.]+)/.exec(out);
    expect(scratch, out).not.toBeNull();
    expect(Number(scratch![1])).toBeGreaterThan(0.8);
    const accs = [...out.matchAll(/logistic epoch \d: validation loss [\d.]+, accuracy ([\d.]+)%/g)].map((m) => Number(m[1]));
    expect(accs.length, out).toBe(2);
    expect(accs[1]).toBeGreaterThan(80);
    const seq = [...out.matchAll(/Sequential epoch \d: validation loss ([\d.]+)/g)].map((m) => Number(m[1]));
    expect(seq.length, out).toBe(2);
    expect(seq[1]).toBeLessThan(seq[0]);
    expect(out).toContain('(8): Lambda()');
  });
  it("cifar-tutorial: PyTorch's 'Training a Classifier' on CIFAR-shaped images, line by line: running loss, save/load, accuracy per class", () => {
    expect(existsSync('dist/index.js'), 'dist/ is missing: run `npm run build` before the tests').toBe(true);
    const out = execFileSync('node', ['examples/cifar-tutorial.mjs', '--quick'], { encoding: 'utf8' });
    const losses = [...out.matchAll(/^\[(\d), +(\d+)\] loss: ([\d.]+)$/gm)].map((m) => Number(m[3]));
    expect(losses.length, out).toBe(4);
    expect(losses[3], out).toBeLessThan(losses[0] * 0.6);
    expect(out).toContain('Finished Training');
    const acc = /Accuracy of the network on the 1000 test images: (\d+) %/.exec(out);
    expect(acc, out).not.toBeNull();
    expect(Number(acc![1]), out).toBeGreaterThan(50);
    const perClass = [...out.matchAll(/Accuracy for class: (\w+) +is ([\d.]+) %/g)];
    expect(perClass.map((m) => m[1]), out).toEqual(['plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
    // The per-class counts are the overall ones split by class (100 test images of each).
    const mean = perClass.reduce((s, m) => s + Number(m[2]), 0) / 10;
    expect(Math.floor(mean)).toBe(Number(acc![1]));
    expect(out).toMatch(/Predicted: {2}(\w+ *){4}/);
  });

  it("learning-pytorch-with-examples: y = sin(x) fitted seven ways (tensors, autograd, a custom Function, nn, optim, a Module, DynamicNet)", () => {
    expect(existsSync('dist/index.js'), 'dist/ is missing: run `npm run build` before the tests').toBe(true);
    const out = execFileSync('node', ['examples/learning-pytorch-with-examples.mjs', '--quick'], { encoding: 'utf8' });
    // Each way ends near the least-squares cubic y ≈ 0.857x − 0.093x³ (sum of squares ≈ 8.9 over
    // 2000 points); 1000 steps in --quick get within a few times that.
    for (const way of ['autograd', 'function', 'nn', 'optim', 'module']) {
      const m = new RegExp(`${way} final loss ([\\d.]+)`).exec(out);
      expect(m, `${way}: ${out}`).not.toBeNull();
      expect(Number(m![1]), `${way}: ${out}`).toBeLessThan(100);
    }
    const b = /^tensors result: y = \S+ \+ (\S+) x/m.exec(out);
    expect(Number(b![1]), out).toBeGreaterThan(0.5);
    expect(out).toMatch(/function result: y = \S+ \+ \S+ \* P3\(/);
    expect(out).toContain('module parameters: a [], b [], c [], d []');
    const dyn = [...out.matchAll(/^dynamic \d+ ([\d.]+)$/gm)].map((m) => Number(m[1]));
    expect(dyn.length, out).toBe(2);
    expect(dyn[1], out).toBeLessThan(dyn[0]);
    expect(out).toMatch(/dynamic result: y = .* x\^4 \? \+ .* x\^5 \?/);
  });
  it("makemore: Karpathy's makemore part 3 (BatchNorm MLP, diagnostics, the PyTorch-ified 6-layer stack) learns names and prints the lecture's statistics", () => {
    expect(existsSync('dist/index.js'), 'dist/ is missing: run `npm run build` before the tests').toBe(true);
    const out = execFileSync('node', ['examples/makemore.mjs', '--quick'], { encoding: 'utf8' });
    const init = /init: loss ([\d.]+) \(−log\(1\/27\) = 3\.2958\), tanh saturated \(\|h\| > 0\.99\) ([\d.]+)%, dead units 0 of 200/.exec(out);
    expect(init, out).not.toBeNull();
    expect(Math.abs(Number(init![1]) - 3.2958), out).toBeLessThan(0.05);
    expect(Number(/^val ([\d.]+)$/m.exec(out)![1]), out).toBeLessThan(2.6);
    expect(out).toMatch(/^samples: ([a-z]+\. ){9}[a-z]+\.$/m);
    const bnStds = [...out.split('without BatchNorm')[0].matchAll(/\(Tanh\): mean [-+]\d\.\d\d, std ([\d.]+)/g)].map((m) => Number(m[1]));
    expect(bnStds.length, out).toBe(5);
    for (const s of bnStds) expect(Math.abs(s - 0.63), out).toBeLessThan(0.08);
    const half = [...out.split('gain 0.50')[1].matchAll(/std ([\d.]+), saturated/g)].map((m) => Number(m[1]));
    expect(half[4], out).toBeLessThan(half[0] / 5);
  });
});

