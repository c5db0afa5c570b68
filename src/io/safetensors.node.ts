/** Node-only safetensors files: atomic save, load with the path in error messages. */
import { constants } from 'node:buffer';
import { readRegularFile } from './files.node.js';
import { writeFileAtomic } from './atomic.node.js';
import { parseSafetensors, serializeSafetensors, type SafetensorsFile, type SafetensorsInput } from './safetensors.js';

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
