/**
 * `gradlab train --resume`: what a checkpoint decides, read through the one RunConfig reader
 * (src/recipe.ts, via parseModel), and the checks before anything trains.
 *
 * The checkpoint decides the model, the data recipe, the optimizer and its options, the batch
 * size, clipping, schedule and seed; only the epoch total (--epochs) and the outputs are the
 * user's to choose. A flag that names one of the checkpoint's settings with another value is
 * refused (exit 2) — not silently ignored. Exactness: fit() draws nothing from the global
 * generator when it is given a DataLoader (the CLI always gives one), so restoring the saved
 * generator states and passing initialEpoch/initialStep continues the run bit for bit.
 */
import type { LoadedModel, TrainingState } from '../io/model.js';
import { loadModel } from '../io/model.node.js';
import type { RunConfig } from '../recipe.js';
import { inputError, usageError } from './errors.js';
import { describeSpec } from '../models.js';
import type { TrainArgs } from './train.js';

/** The TrainArgs a checkpoint decides: the flag, and the value the checkpoint holds. */
const DECIDED: ReadonlyArray<readonly [keyof TrainArgs, string, (c: RunConfig) => unknown]> = [
  ['data', '--data', (c) => c.data.source],
  ['samples', '--samples', (c) => c.data.samples],
  ['noise', '--noise', (c) => c.data.noise],
  ['limit', '--limit', (c) => c.data.limit],
  ['csvLabel', '--label', (c) => c.data.label],
  ['layers', '--layers', (c) => c.model.layers],
  ['activation', '--activation', (c) => c.model.activation],
  ['init', '--init', (c) => c.model.init],
  ['batchnorm', '--batchnorm', (c) => c.model.batchnorm],
  ['dropout', '--dropout', (c) => c.model.dropout],
  ['optimizer', '--optimizer', (c) => c.optimizer],
  ['lr', '--lr', (c) => c.optimizerOptions.lr],
  ['weightDecay', '--weight-decay', (c) => c.optimizerOptions.weightDecay],
  ['batchSize', '--batch-size', (c) => c.batchSize],
  ['clip', '--clip', (c) => c.clip ?? undefined],
  ['schedule', '--schedule', (c) => c.schedule],
  ['seed', '--seed', (c) => c.seed],
];

const show = (v: unknown): string => (Array.isArray(v) ? v.join(',') || 'none' : v === undefined ? 'unset' : String(v));

export interface Resumed {
  path: string;
  loaded: LoadedModel;
  training: TrainingState;
  /** The checkpoint's recipe, as read and checked by readRunConfig. */
  config: RunConfig;
  /** The run's arguments: the checkpoint's settings, with the user's epoch total and outputs. */
  args: TrainArgs;
}

/**
 * Open a checkpoint for `train --resume`: exit 3 for a file that is not a valid checkpoint,
 * exit 2 for a flag that contradicts it or an epoch total it has already reached.
 * `args.given` lists the flags the user typed; without it (programmatic use) every argument
 * set is compared with the checkpoint.
 */
export async function openCheckpoint(path: string, args: TrainArgs): Promise<Resumed> {
  let loaded: LoadedModel;
  try {
    loaded = await loadModel(path);
  } catch (e) {
    throw inputError((e as Error).message);
  }
  if (!loaded.training) throw inputError(`${path}: not a checkpoint (it has no training state); write one with --checkpoint`);
  const c = loaded.info.config;
  if (!c) throw inputError(`${path}: the checkpoint has no training configuration`);
  const training = loaded.training;

  const conflicts: string[] = [];
  // A layer list is compared as the model it builds, not as the text typed: refused outright.
  for (const [key, flag] of [['arch', '--arch'], ['model', '--model']] as const) {
    if (args.given ? args.given.includes(key) : args[key] !== undefined) conflicts.push(`${flag} ${show(args[key])} (the checkpoint's model: ${describeSpec(c.model)})`);
  }
  for (const [key, flag, stored] of DECIDED) {
    const given = args.given ? args.given.includes(key) : args[key] !== undefined;
    if (!given) continue;
    const v = stored(c);
    if (JSON.stringify(args[key]) !== JSON.stringify(v)) conflicts.push(`${flag} ${show(args[key])} (checkpoint: ${show(v)})`);
  }
  if (conflicts.length > 0) {
    throw usageError(`--resume ${path}: the checkpoint decides the model, data, optimizer, batch size, clipping, schedule and seed; leave these flags out or give the checkpoint's values: ${conflicts.join(', ')}`);
  }
  if (training.epoch >= args.epochs) {
    throw usageError(`--resume: the checkpoint has already trained ${training.epoch} epoch${training.epoch === 1 ? '' : 's'}; pass --epochs greater than that (the total to reach)`);
  }
  if (training.epoch > c.epochs) throw inputError(`${path}: the training state says ${training.epoch} epochs were trained, more than the ${c.epochs} its configuration planned`);
  const sched = training.scheduler;
  if (c.schedule !== 'none' && (!sched || sched.lastEpoch !== training.epoch)) {
    throw inputError(`${path}: the configuration has a ${c.schedule} schedule, but the training state's scheduler is at epoch ${JSON.stringify(sched?.lastEpoch ?? null)} instead of ${training.epoch}`);
  }
  const resumedArgs: TrainArgs = {
    ...args,
    arch: undefined,
    model: undefined,
    data: c.data.source,
    layers: c.model.layers,
    activation: c.model.activation,
    init: c.model.init,
    batchnorm: c.model.batchnorm,
    dropout: c.model.dropout,
    optimizer: c.optimizer,
    lr: c.optimizerOptions.lr,
    weightDecay: c.optimizerOptions.weightDecay,
    batchSize: c.batchSize,
    schedule: c.schedule,
    seed: c.seed,
  };
  if (c.clip !== null) resumedArgs.clip = c.clip;
  else delete resumedArgs.clip;
  for (const k of ['samples', 'noise', 'limit'] as const) {
    if (c.data[k] !== undefined) resumedArgs[k] = c.data[k];
    else delete resumedArgs[k];
  }
  if (c.data.label !== undefined) resumedArgs.csvLabel = c.data.label;
  else delete resumedArgs.csvLabel;
  return { path, loaded, training, config: c, args: resumedArgs };
}

/** Data that no longer matches the checkpoint's model (a CSV that gained a column or a class): exit 3. */
export function checkDataMatches(r: Resumed, data: { features: number; targets: number; numClasses?: number; info: { classNames?: string[] } }): void {
  const spec = r.config.model;
  const src = r.config.data.source;
  if (data.features !== spec.inputs) {
    throw inputError(`${src}: has ${data.features} features per example, but the checkpoint's model (${r.path}) takes ${spec.inputs}: the data changed since the checkpoint`);
  }
  const stored = r.loaded.info.data?.classNames;
  const names = data.info.classNames;
  const classes = data.numClasses ?? data.targets;
  if (classes !== spec.outputs || (stored && names && JSON.stringify(stored) !== JSON.stringify(names))) {
    const list = (n: string[] | undefined) => (n ? ` (${n.slice(0, 10).join(', ')}${n.length > 10 ? ', …' : ''})` : '');
    throw inputError(`${src}: has ${classes} ${data.numClasses !== undefined ? 'classes' : 'targets'}${list(names)}, but the checkpoint's model (${r.path}) was trained on ${spec.outputs}${list(stored)}: the data changed since the checkpoint`);
  }
}
