/**
 * Whole-model conformance: a model loaded with torch's weights (fixtures written by
 * make_conv_fixtures.py's run_model) gives torch's train-mode output, loss, gradients, state
 * after the step, and eval-mode output.
 */
import type { Module } from '../../src/nn/module.js';
import { loss, ops } from '../../src/index.js';
import { decode, expectTensor, load, type Stored } from './check.js';

export interface ModelFixture {
  keys: string[];
  shapes: Record<string, number[]>;
  parameterKeys: string[];
  state0: Record<string, Stored>;
  x: Stored;
  y: Stored;
  output: Stored;
  loss: Stored;
  grads: Record<string, Stored>;
  stateAfterTrain: Record<string, Stored>;
  outputEval: Stored;
}

export const torchState = (s: Record<string, Stored>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, { data: decode(v), shape: v.shape }]));

/** Conv layers sum tens of O(1) products per value (see the atol note in test/ops/conv.test.ts). */
const ATOL = 1e-6;

/**
 * Loads torch's weights into `model` and checks the train-mode output, cross-entropy loss,
 * gradients and state after the step, then the eval-mode output.
 */
export function expectMatchesTorch(model: Module, M: ModelFixture, group: string): void {
  model.loadStateDict(torchState(M.state0));
  model.train();
  const out = model.forward(load(M.x));
  expectTensor(out, M.output, 'output', { group: `${group} value`, atol: ATOL });
  const l = loss.crossEntropy(ops.flatten(out, 1), load(M.y));
  expectTensor(l, M.loss, 'loss', { group: `${group} value`, atol: ATOL });
  l.backward();
  for (const [k, p] of model.namedParameters()) expectTensor(p.grad, M.grads[k], `grad ${k}`, { group: `${group} grad`, atol: ATOL });
  const sd = model.stateDict();
  for (const k of M.keys) expectTensor(sd[k], M.stateAfterTrain[k], `state ${k}`, { group: `${group} state`, atol: ATOL });
  model.eval();
  expectTensor(model.forward(load(M.x)), M.outputEval, 'eval output', { group: `${group} value`, atol: ATOL });
}

