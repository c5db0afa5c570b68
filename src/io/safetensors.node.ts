/** Node-only safetensors files (atomic save, load with the path in error messages) and PyTorch's .pt state dicts. */
import { constants } from 'node:buffer';
import { readRegularFile } from './files.node.js';
import { writeFileAtomic } from './atomic.node.js';
import { parseSafetensors, serializeSafetensors, type SafetensorsFile, type SafetensorsInput } from './safetensors.js';
import { isTorchZip, parseTorchFile, serializeTorchFile, type TorchFile } from './torch-file.js';

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
  if (isTorchZip(bytes)) throw new Error(`${path}: this is a file torch.save wrote, not a safetensors file: read it with loadTorchFile(path)`);
  return parseSafetensors(bytes, path);
}

/**
 * Read the state dict in a file `torch.save(model.state_dict(), path)` wrote (torch-file.ts):
 * `model.loadStateDict((await loadTorchFile('model.pt')).tensors)`. Errors name the path.
 */
export async function loadTorchFile(path: string): Promise<TorchFile> {
  const bytes = await readRegularFile(path, { maxBytes: constants.MAX_LENGTH, what: 'PyTorch file' });
  // A safetensors file (saveSafetensors("model.pth", …) keeps whatever name it is given): 8 bytes of header length, then its JSON.
  if (bytes.length > 9 && bytes[8] === 0x7b && !isTorchZip(bytes)) throw new Error(`${path}: this is a safetensors file, not one torch.save wrote: read it with loadSafetensors(path)`);
  return parseTorchFile(bytes, path);
}

/**
 * torch.save(obj, path): write `obj` (a state dict, or a checkpoint such as {epoch,
 * model_state_dict, optimizer_state_dict, loss}) as the file torch.save writes (serializeTorchFile),
 * atomically, so that PyTorch's torch.load and loadTorchFile read it.
 */
export async function saveTorchFile(path: string, obj: unknown): Promise<void> {
  await writeFileAtomic(path, serializeTorchFile(obj, path));
}
