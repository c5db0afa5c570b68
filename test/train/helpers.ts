/** Small synthetic data sets for the trainer and diagnostics tests (seeded, deterministic). */
import { Generator, Tensor, nn, manualSeed, type Report } from '../../src/index.js';

/** k Gaussian blobs in d dimensions, centres on a circle of radius `radius`, unit noise × `noise`. */
export function blobs(n: number, k = 3, seed = 0, options: { d?: number; radius?: number; noise?: number } = {}): { x: Tensor; y: Tensor } {
  const g = new Generator(seed);
  const d = options.d ?? 2;
  const radius = options.radius ?? 3;
  const noise = options.noise ?? 1;
  const x = new Float32Array(n * d);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    y[i] = c;
    for (let j = 0; j < d; j++) {
      const centre = j === 0 ? radius * Math.cos((2 * Math.PI * c) / k) : j === 1 ? radius * Math.sin((2 * Math.PI * c) / k) : 0;
      x[i * d + j] = centre + noise * g.normal();
    }
  }
  return { x: new Tensor(x, [n, d]), y: new Tensor(y, [n]) };
}

/** XOR of the signs of two coordinates: not linearly separable. */
export function xor(n: number, seed = 0): { x: Tensor; y: Tensor } {
  const g = new Generator(seed);
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = g.uniform(-1, 1);
    const b = g.uniform(-1, 1);
    x[2 * i] = a;
    x[2 * i + 1] = b;
    y[i] = a * b > 0 ? 1 : 0;
  }
  return { x: new Tensor(x, [n, 2]), y: new Tensor(y, [n]) };
}

/** A healthy classifier: Linear → BatchNorm → ReLU blocks with He init (the registry's default before ReLU). */
export function healthyMlp(seed: number, d = 2, hidden = 32, k = 3, depth = 2): nn.Sequential {
  manualSeed(seed);
  const layers: nn.Module[] = [];
  let inp = d;
  for (let i = 0; i < depth; i++) {
    layers.push(new nn.Linear(inp, hidden), new nn.BatchNorm1d(hidden), new nn.ReLU());
    inp = hidden;
  }
  layers.push(new nn.Linear(inp, k));
  return new nn.Sequential(...layers);
}

export const SEEDS = [1, 2, 3, 4, 5];

/** A fit Report without its wall-clock timings, to compare two runs' numbers. */
export function withoutTimings(r: Report): unknown {
  const c = JSON.parse(JSON.stringify(r));
  delete c.durationMs;
  delete c.monitors.durationMs;
  for (const e of c.history.epochs) delete e.durationMs;
  return c;
}
