// PyTorch's "Learning PyTorch with Examples", ported line by line: fit y = sin(x) on [−π, π]
// with a cubic, seven ways — (a) tensors and hand-written gradients, (b) autograd with scalar
// parameters updated under noGrad, (c) a custom autograd Function (the Legendre polynomial P₃),
// (d) nn.Sequential(Linear(3, 1), Flatten(0, 1)) with a manual update, (e) optim.RMSprop,
// (f) a custom Module of four nn.Parameter scalars, (g) DynamicNet: a random number of terms per
// forward, reusing one parameter (weight sharing).
// Run after `npm run build`:  node examples/learning-pytorch-with-examples.mjs [--quick]
import { autograd, full, linspace, manualSeed, defaultGenerator, nn, noGrad, optim, randn, tensor } from 'gradlab';

const quick = process.argv.includes('--quick');
manualSeed(0);
const iterations = quick ? 1000 : 2000;

const dtype = 'float';
const device = 'cpu'; // gradlab's only device; 'cuda' is an error naming it
// x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype); y = torch.sin(x)
const x = linspace(-Math.PI, Math.PI, 2000, { device, dtype });
const y = x.sin();
const show = (v) => v.toFixed(4);

// (a) Tensors: the forward pass, the loss and the backward pass by hand.
{
  let a = randn([], { device, dtype }), b = randn([], { device, dtype }), c = randn([], { device, dtype }), d = randn([], { device, dtype });
  const learningRate = 1e-6;
  for (let t = 0; t < iterations; t++) {
    // y_pred = a + b x + c x^2 + d x^3
    const yPred = a.add(b.mul(x)).add(c.mul(x.pow(2))).add(d.mul(x.pow(3)));
    const loss = yPred.sub(y).pow(2).sum().item();
    if (t % 250 === 249) console.log(`tensors ${t} ${loss.toFixed(2)}`);
    // Backprop to compute gradients of a, b, c, d with respect to loss
    const gradYPred = yPred.sub(y).mul(2.0);
    const gradA = gradYPred.sum();
    const gradB = gradYPred.mul(x).sum();
    const gradC = gradYPred.mul(x.pow(2)).sum();
    const gradD = gradYPred.mul(x.pow(3)).sum();
    // a -= learning_rate * grad_a …
    a.sub_(gradA.mul(learningRate));
    b.sub_(gradB.mul(learningRate));
    c.sub_(gradC.mul(learningRate));
    d.sub_(gradD.mul(learningRate));
  }
  console.log(`tensors result: y = ${show(a.item())} + ${show(b.item())} x + ${show(c.item())} x^2 + ${show(d.item())} x^3`);
}

// (b) Autograd: a = torch.randn((), requires_grad=True); loss.backward(); update under no_grad; a.grad = None.
{
  const a = randn([], { device, dtype, requiresGrad: true });
  const b = randn([], { device, dtype, requiresGrad: true });
  const c = randn([], { device, dtype, requiresGrad: true });
  const d = randn([], { device, dtype, requiresGrad: true });
  const learningRate = 1e-6;
  let last;
  for (let t = 0; t < iterations; t++) {
    const yPred = a.add(b.mul(x)).add(c.mul(x.pow(2))).add(d.mul(x.pow(3)));
    const loss = yPred.sub(y).pow(2).sum();
    if (t % 250 === 249) console.log(`autograd ${t} ${loss.item().toFixed(2)}`);
    loss.backward();
    noGrad(() => {
      a.sub_(a.grad.mul(learningRate));
      b.sub_(b.grad.mul(learningRate));
      c.sub_(c.grad.mul(learningRate));
      d.sub_(d.grad.mul(learningRate));
      // Manually zero the gradients after updating weights
      a.grad = null;
      b.grad = null;
      c.grad = null;
      d.grad = null;
    });
    last = loss.item();
  }
  console.log(`autograd final loss ${last.toFixed(2)}`);
  console.log(`autograd result: y = ${show(a.item())} + ${show(b.item())} x + ${show(c.item())} x^2 + ${show(d.item())} x^3`);
}

// (c) Defining new autograd functions: P3(x) = ½(5x³ − 3x), P3′(x) = 1.5(5x² − 1).
class LegendrePolynomial3 extends autograd.Function {
  static forward(ctx, input) {
    ctx.saveForBackward(input);
    return input.pow(3).mul(5).sub(input.mul(3)).mul(0.5);
  }
  static backward(ctx, gradOutput) {
    const [input] = ctx.savedTensors;
    return gradOutput.mul(input.pow(2).mul(5).sub(1).mul(1.5));
  }
}
{
  // Weights initialised not too far from the correct result, as the tutorial does.
  const a = full([], 0.0, { requiresGrad: true });
  const b = full([], -1.0, { requiresGrad: true });
  const c = full([], 0.0, { requiresGrad: true });
  const d = full([], 0.3, { requiresGrad: true });
  const learningRate = 5e-6;
  let last;
  for (let t = 0; t < iterations; t++) {
    // To apply our Function, we use Function.apply method. We alias this as 'P3'.
    const P3 = LegendrePolynomial3.apply;
    const yPred = a.add(b.mul(P3(c.add(d.mul(x)))));
    const loss = yPred.sub(y).pow(2).sum();
    if (t % 250 === 249) console.log(`function ${t} ${loss.item().toFixed(2)}`);
    loss.backward();
    noGrad(() => {
      for (const p of [a, b, c, d]) {
        p.sub_(p.grad.mul(learningRate));
        p.grad = null;
      }
    });
    last = loss.item();
  }
  console.log(`function final loss ${last.toFixed(2)}`);
  console.log(`function result: y = ${show(a.item())} + ${show(b.item())} * P3(${show(c.item())} + ${show(d.item())} x)`);
}

// (d) nn: the polynomial as a linear function of (x, x², x³).
const p = tensor([1, 2, 3]);
const xx = x.unsqueeze(-1).pow(p); // [2000, 3]
// gradlab draws a Linear's default weights for the activation after it (here none: Xavier,
// std √(2/(3+1)) ≈ 0.71, bias 0); PyTorch's U(±1/√3) is init: 'pytorch'. On inputs up to π³ ≈ 31
// the larger weights start from a larger loss, which the tutorial's 2000 steps at lr 1e-6 or
// RMSprop's 1e-3 do not always work off, so this port takes PyTorch's init.
const linear31 = () => new nn.Linear(3, 1, { init: 'pytorch' });
{
  const model = new nn.Sequential(linear31(), new nn.Flatten(0, 1));
  const lossFn = new nn.MSELoss({ reduction: 'sum' });
  const learningRate = 1e-6;
  let last;
  for (let t = 0; t < iterations; t++) {
    const yPred = model.forward(xx);
    const loss = lossFn.forward(yPred, y);
    if (t % 250 === 249) console.log(`nn ${t} ${loss.item().toFixed(2)}`);
    model.zeroGrad();
    loss.backward();
    noGrad(() => {
      for (const param of model.parameters()) param.sub_(param.grad.mul(learningRate));
    });
    last = loss.item();
  }
  const linearLayer = model[0];
  console.log(`nn final loss ${last.toFixed(2)}`);
  console.log(
    `nn result: y = ${show(linearLayer.bias.item())} + ${show(linearLayer.weight.select(1, 0).item())} x + ` +
      `${show(linearLayer.weight.select(1, 1).item())} x^2 + ${show(linearLayer.weight.select(1, 2).item())} x^3`,
  );
}

// (e) optim: RMSprop instead of the manual update.
{
  const model = new nn.Sequential(linear31(), new nn.Flatten(0, 1));
  const lossFn = new nn.MSELoss({ reduction: 'sum' });
  const optimizer = new optim.RMSprop(model.parameters(), { lr: 1e-3 });
  let last;
  for (let t = 0; t < iterations; t++) {
    const yPred = model.forward(xx);
    const loss = lossFn.forward(yPred, y);
    if (t % 250 === 249) console.log(`optim ${t} ${loss.item().toFixed(2)}`);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    last = loss.item();
  }
  const linearLayer = model[0];
  console.log(`optim final loss ${last.toFixed(2)}`);
  console.log(`optim result: y = ${show(linearLayer.bias.item())} + ${show(linearLayer.weight.select(1, 0).item())} x + ${show(linearLayer.weight.select(1, 1).item())} x^2 + ${show(linearLayer.weight.select(1, 2).item())} x^3`);
}

// (f) Custom nn Modules: four scalar parameters and a string() method.
class Polynomial3 extends nn.Module {
  constructor() {
    super();
    this.a = new nn.Parameter(randn([]));
    this.b = new nn.Parameter(randn([]));
    this.c = new nn.Parameter(randn([]));
    this.d = new nn.Parameter(randn([]));
  }
  forward(x) {
    return this.a.add(this.b.mul(x)).add(this.c.mul(x.pow(2))).add(this.d.mul(x.pow(3)));
  }
  string() {
    return `y = ${show(this.a.item())} + ${show(this.b.item())} x + ${show(this.c.item())} x^2 + ${show(this.d.item())} x^3`;
  }
}
{
  const model = new Polynomial3();
  const criterion = new nn.MSELoss({ reduction: 'sum' });
  const optimizer = new optim.SGD(model.parameters(), { lr: 1e-6 });
  let last;
  for (let t = 0; t < iterations; t++) {
    const yPred = model.forward(x);
    const loss = criterion.forward(yPred, y);
    if (t % 250 === 249) console.log(`module ${t} ${loss.item().toFixed(2)}`);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    last = loss.item();
  }
  console.log(`module parameters: ${model.namedParameters().map(([n, p]) => `${n} ${JSON.stringify(p.shape)}`).join(', ')}`);
  console.log(`module final loss ${last.toFixed(2)}`);
  console.log(`module result: ${model.string()}`);
}

// (g) Control flow + weight sharing: the 4th and 5th order terms (0, 1 or 2 of them, chosen at
// random each forward) all use the same parameter e.
// random.randint(4, 6) is 4, 5 or 6 (both ends included).
const randint = (lo, hi) => lo + defaultGenerator.int(hi - lo + 1);
class DynamicNet extends nn.Module {
  constructor() {
    super();
    this.a = new nn.Parameter(randn([]));
    this.b = new nn.Parameter(randn([]));
    this.c = new nn.Parameter(randn([]));
    this.d = new nn.Parameter(randn([]));
    this.e = new nn.Parameter(randn([]));
  }
  forward(x) {
    let y = this.a.add(this.b.mul(x)).add(this.c.mul(x.pow(2))).add(this.d.mul(x.pow(3)));
    for (let exp = 4; exp < randint(4, 6); exp++) y = y.add(this.e.mul(x.pow(exp)));
    return y;
  }
  string() {
    return `y = ${show(this.a.item())} + ${show(this.b.item())} x + ${show(this.c.item())} x^2 + ${show(this.d.item())} x^3 + ${show(this.e.item())} x^4 ? + ${show(this.e.item())} x^5 ?`;
  }
}
{
  const model = new DynamicNet();
  const criterion = new nn.MSELoss({ reduction: 'sum' });
  const optimizer = new optim.SGD(model.parameters(), { lr: 1e-8, momentum: 0.9 });
  const steps = quick ? 2000 : 30000;
  const losses = [];
  for (let t = 0; t < steps; t++) {
    const yPred = model.forward(x);
    const loss = criterion.forward(yPred, y);
    if (t % 1000 === 999) console.log(`dynamic ${t} ${loss.item().toFixed(2)}`);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
  }
  // The loss of one forward depends on how many terms it drew: average the last 100.
  const tail = losses.slice(-100);
  console.log(`dynamic mean loss of the last 100 steps ${(tail.reduce((s, v) => s + v, 0) / tail.length).toFixed(2)}`);
  console.log(`dynamic result: ${model.string()}`);
}
