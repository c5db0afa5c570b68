/**
 * The experiment registry: each entry reproduces a published finding about why networks
 * learn or fail, with gradlab itself, and judges the outcome against the paper.
 * The CLI (`gradlab experiment list|run`) and the lab read this table.
 */
import { closestName } from '../options.js';
import type { Experiment, ExperimentOptions, ExperimentResult } from './types.js';
import { zeroInit } from './zero-init.js';
import { vanishingGradients } from './vanishing-gradients.js';
import { explodingGradients } from './exploding-gradients.js';
import { he2015 } from './he-2015.js';
import { klambauer2017 } from './klambauer-2017.js';
import { ioffeSzegedy2015 } from './ioffe-szegedy-2015.js';
import { fitting } from './fitting.js';
import { dyingRelu } from './dying-relu.js';
import { optimizers } from './optimizers.js';
import { glorotBengio2010 } from './glorot-bengio-2010.js';
import { activationInitShootout } from './activation-init-shootout.js';
import { ioffeSzegedy2015Conv } from './ioffe-szegedy-2015-conv.js';
import { he2016Residual } from './he-2016-residual.js';

export type { Experiment, ExperimentOptions, ExperimentResult, Check, Verdict, Series, Table, Measurements } from './types.js';

const list: Experiment[] = [zeroInit, vanishingGradients, explodingGradients, glorotBengio2010, he2015, ioffeSzegedy2015, klambauer2017, dyingRelu, optimizers, fitting, activationInitShootout, ioffeSzegedy2015Conv, he2016Residual];

export const EXPERIMENTS: Readonly<Record<string, Experiment>> = Object.freeze(Object.fromEntries(list.map((e) => [e.name, e])));

export const EXPERIMENT_NAMES: readonly string[] = list.map((e) => e.name);

/** Name, title, claim and citation of every experiment, in the registry's order. */
export function listExperiments(): Array<Pick<Experiment, 'name' | 'title' | 'claim' | 'citation'>> {
  return list.map(({ name, title, claim, citation }) => ({ name, title, claim, citation }));
}

export function getExperiment(name: string): Experiment {
  const e = EXPERIMENTS[name];
  if (!e) {
    const near = closestName(name, EXPERIMENT_NAMES);
    throw new Error(`Unknown experiment '${name}'${near !== undefined ? ` (did you mean '${near}'?)` : ''}. Valid experiments: ${EXPERIMENT_NAMES.join(', ')}.`);
  }
  return e;
}

/** Run the experiment `name` (quick: CI size; seed: every random draw). */
export async function runExperiment(name: string, opts: ExperimentOptions = {}): Promise<ExperimentResult> {
  return getExperiment(name).run(opts);
}
