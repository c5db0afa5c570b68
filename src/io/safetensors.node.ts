/** Node-only safetensors files (atomic save, load with the path in error messages) and PyTorch's .pt state dicts. */
import { constants } from 'node:buffer';
import { readRegularFile } from './files.node.js';
import { writeFileAtomic } from './atomic.node.js';
import { parseSafetensors, serializeSafetensors, type SafetensorsFile, type SafetensorsInput } from './safetensors.js';
import { parseTorchFile, type TorchFile } from './torch-file.js';

/** Serialize and write atomically (a failed save leaves the previous file intact). */
export async function saveSafetensors(
  path: string,
  tensors: Record<string, SafetensorsInput> | Map<string, SafetensorsInput>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}

/** Read and parse a .safetensors file; errors name the path. */
export async function loadSafetensors(path: string): Promise<SafetensorsFile> {
  const bytes = await readRegularFile(path, { maxBytes: constants.MAX_LENGTH, what: 'safetensors file' });
  return parseSafetensors(bytes, path);
}

/**
 * Read the state dict in a file `torch.save(model.state_dict(), path)` wrote (torch-file.ts):
 * `model.loadStateDict((await loadTorchFile('model.pt')).tensors)`. Errors name the path.
 */
export async function loadTorchFile(path: string): Promise<TorchFile> {
  const bytes = await readRegularFile(path, { maxBytes: constants.MAX_LENGTH, what: 'PyTorch file' });
  return parseTorchFile(bytes, path);
}
