/** Browser-safe serialization (atomic file writes are in src/node.ts). */
export {
  serializeSafetensors, parseSafetensors, readSafetensorsHeader, entryToTensor, MAX_HEADER_SIZE,
  type SafetensorsDType, type SafetensorsEntry, type SafetensorsFile, type SafetensorsInput, type SafetensorsArray,
} from './safetensors.js';
export { parseTorchFile, serializeTorchFile, isTorchFile, type TorchFile } from './torch-file.js';
