/** Node-only model files: atomic save (a failed save leaves the previous file intact) and load. */
import { readRegularFile } from './files.node.js';
import type { Module } from '../nn/module.js';
import { writeFileAtomic } from './atomic.node.js';
import { modelFromBytes, modelToBytes, serializeCheckpoint, type LoadedModel, type ModelInfo, type SaveModelOptions, type StateDictArch, type TrainingState } from './model.js';

/**
 * Save a model file atomically (a failed save leaves the previous file intact): the weights under
 * PyTorch's names plus the spec (read off the model unless given), and optionally the training
 * recipe and data info, so `gradlab evaluate/predict/inspect/export` read it.
 */
export async function saveModel(path: string, model: Module, options: SaveModelOptions = {}): Promise<void> {
  await writeFileAtomic(path, modelToBytes(model, options));
}

export async function saveCheckpoint(path: string, model: Module, info: ModelInfo, state: TrainingState): Promise<void> {
  await writeFileAtomic(path, serializeCheckpoint(model, info, state));
}

/** Largest model file read (the safetensors header limit is separate); guards against reading a huge wrong file. */
export const MAX_MODEL_FILE_BYTES = 2 ** 31 - 1;

/**
 * Read, validate and build a model file or checkpoint (what `gradlab train --out` or saveModel
 * wrote) → {model (in eval mode), spec, config, data, …}; errors name the path. With `arch`,
 * the file is a plain PyTorch state dict of that (partly given) architecture (parseStateDict).
 */
export async function loadModel(path: string, options: { arch?: StateDictArch } = {}): Promise<LoadedModel> {
  const bytes = await readRegularFile(path, { maxBytes: MAX_MODEL_FILE_BYTES, what: 'model file' });
  return modelFromBytes(bytes, path, options);
}
