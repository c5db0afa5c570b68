/** The built-in MNIST's first digits as images, the small data conv-net tests train on. */
import { Tensor } from '../../src/tensor.js';
import { loadBuiltinMnistSplits } from '../../src/data/datasets.node.js';

/** The first n digits of the built-in MNIST training split: x [n, 1, 28, 28], y [n] class indices. */
export async function digitImages(n: number): Promise<{ x: Tensor; y: Tensor }> {
  const { train } = await loadBuiltinMnistSplits();
  return { x: new Tensor(train.x.data.slice(0, n * 784), [n, 1, 28, 28]), y: new Tensor(train.y.data.slice(0, n), [n]) };
}
