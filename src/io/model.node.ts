/** Node-only model files: atomic save (a failed save leaves the previous file intact) and load. */
import { readRegularFile } from './files.node.js';
import type { Module } from '../nn/module.js';
import { writeFileAtomic } from './atomic.node.js';
import { parseModel, serializeCheckpoint, serializeModel, type LoadedModel, type ModelInfo, type TrainingState } from './model.js';

export async function saveModel(path: string, model: Module, info: ModelInfo): Promise<void> {
  await writeFileAtomic(path, serializeModel(model, info));
}

export async function saveCheckpoint(path: string, model: Module, info: ModelInfo, state: TrainingState): Promise<void> {
  await writeFileAtomic(path, serializeCheckpoint(model, info, state));
}

/** Largest model file read (the safetensors header limit is separate); guards against reading a huge wrong file. */
export const MAX_MODEL_FILE_BYTES = 2 ** 31 - 1;

/** Read, validate and build a model file or checkpoint; errors name the path. */
export async function loadModel(path: string): Promise<LoadedModel> {
  const bytes = await readRegularFile(path, { maxBytes: MAX_MODEL_FILE_BYTES, what: 'model file' });
  return parseModel(bytes, path);
}
