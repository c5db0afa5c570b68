import { test, expect } from 'vitest';
import { tensor, nn, optim, loss, ops, manualSeed, gradcheck } from '../src/index.js';
test('smoke', () => {
  manualSeed(1);
  const model = new nn.Sequential(new nn.Linear(2, 16), new nn.BatchNorm1d(16), new nn.ReLU(), new nn.Linear(16, 2));
  const x = tensor([[0,0],[0,1],[1,0],[1,1]]);
  const y = tensor([0,1,1,0]);
  const opt = new optim.Adam(model.parameters(), { lr: 0.05 });
  let l = 0;
  for (let i = 0; i < 200; i++) { opt.zeroGrad(); const L = loss.crossEntropy(model.forward(x), y); L.backward(); opt.step(); l = L.item(); }
  console.log('final loss', l, Object.keys(model.stateDict()));
  expect(l).toBeLessThan(0.05);
  const a = tensor([[1,2,3],[4,5,6]], undefined, {dtype:'float64', requiresGrad: true});
  const b = tensor([[1,-2],[0.5,3],[2,1]], undefined, {dtype:'float64', requiresGrad: true});
  const r = gradcheck((p, q) => ops.gelu(ops.matmul(p, q)), [a, b]);
  console.log(r.maxAbsError);
  expect(r.ok).toBe(true);
});
