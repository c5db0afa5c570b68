/**
 * Layer lists as users mistype them: random `--arch` strings and JSON lists built from layer
 * names (and near misses), arguments (huge, negative, fractional, NaN, strings, 'same') and
 * stray punctuation, read by parseArch and validateSpec on MNIST's shape — what `train --arch`
 * does before any allocation. Contract: a valid spec, or an Error naming the layer or the spec;
 * never a TypeError, a RangeError (stack overflow, allocation) or a spec whose parameters
 * exceed the limit. Seeded (GRADLAB_FUZZ_SEED); GRADLAB_FUZZ=long runs 20×.
 */
import { describe, expect, it } from 'vitest';
import { parseArch, validateLayer } from '../../src/arch.js';
import { MAX_PARAMETERS, countParameters, validateSpec, type ModelSpec } from '../../src/models.js';
import type { Generator } from '../../src/random.js';
import { cases, rng } from './fuzz.js';

const NAMES = ['conv', 'bn', 'maxpool', 'avgpool', 'adaptiveavgpool', 'flatten', 'linear', 'dropout', 'residual', 'relu', 'tanh', 'gelu', 'Conv2d', 'flaten', 'ReLU', 'softmax', 'linear2', ''];
const ARGS = ['16', '3', '1', '0', '-1', '1.5', '1e9', '65536', '65537', 'NaN', 'same', 'valid', "'x'", 'true', 'stride=2', 'padding=same', 'padding=1', 'groups=3', 'dilation=0', 'p=0.5', 'p=2', 'eps=0', 'foo=1', '=', '', 'out=8'];
const pick = <T,>(g: Generator, xs: readonly T[]): T => xs[Math.floor(g.random() * xs.length)];

function compact(g: Generator): string {
  const n = 1 + Math.floor(g.random() * 6);
  const layers: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = pick(g, NAMES);
    const k = Math.floor(g.random() * 4);
    layers.push(k === 0 ? name : `${name}(${Array.from({ length: k }, () => pick(g, ARGS)).join(',')})`);
  }
  let s = layers.join(pick(g, [',', ',', ',', ', ', ';', ',,']));
  if (g.random() < 0.1) s = s.slice(0, Math.floor(g.random() * s.length)); // cut off mid-way
  if (g.random() < 0.05) s = '('.repeat(1 + Math.floor(g.random() * 50)) + s;
  return s;
}

function jsonLayer(g: Generator): unknown {
  const v = (): unknown => pick(g, [16, 3, 0, -1, 1.5, 1e9, 2 ** 31, NaN, 'same', '3', null, true, [3, 3], [], {}]);
  return pick(g, [
    { type: pick(g, NAMES), out: v(), kernel: v() },
    { type: 'conv', out: v(), kernel: v(), stride: v(), padding: v(), dilation: v(), groups: v() },
    { type: 'linear', out: v() },
    { type: 'residual', out: v(), stride: v() },
    { type: 'maxpool', kernel: v(), stride: v(), padding: v() },
    { type: 'dropout', p: v() },
    { type: v() },
    v(),
  ]);
}

const mnist = (arch: unknown): Partial<ModelSpec> => ({ inputs: 784, inputShape: [1, 28, 28], layers: [], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, outputs: 10, output: 'softmax', arch: arch as ModelSpec['arch'] });

describe('hostile layer lists', () => {
  it('every compact string and JSON list is a valid spec within the limits or an Error naming the layer', () => {
    const g = rng(77);
    const problems: string[] = [];
    let valid = 0;
    const n = cases(1500);
    for (let i = 0; i < n; i++) {
      const json = g.random() < 0.4;
      const input = json ? Array.from({ length: 1 + Math.floor(g.random() * 4) }, () => jsonLayer(g)) : compact(g);
      const what = JSON.stringify(input);
      try {
        const arch = json ? (input as unknown[]).map((l, k) => validateLayer(l, `--arch JSON: layer ${k + 1}`)) : parseArch(input as string);
        const spec = validateSpec(mnist(arch), '--arch');
        if (countParameters(spec) > MAX_PARAMETERS) problems.push(`${what}: accepted with ${countParameters(spec)} parameters`);
        valid++;
      } catch (e) {
        const err = e as Error;
        if (!(err instanceof Error) || err instanceof TypeError || err instanceof RangeError) problems.push(`${what}: ${err?.constructor?.name}: ${err?.message}`);
        else if (!/--arch|arch\[\d+\]|layer \d+|model spec/.test(err.message)) problems.push(`${what}: names no layer: ${err.message}`);
      }
    }
    expect(problems.slice(0, 10)).toEqual([]);
    expect(valid).toBeGreaterThan(0); // the generator also makes lists that are fine
  });
});
