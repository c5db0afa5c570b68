/** Node-only safetensors files: atomic save, load with the path in error messages. */
import { readFile } from 'node:fs/promises';
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
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read: ${(e as Error).message}`, { cause: e });
  }
  return parseSafetensors(bytes, path);
}
