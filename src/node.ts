/**
 * gradlab/node: the Node-only parts (file system, zlib). Everything in src/index.ts works
 * in browsers too; this entry point adds loaders and writers that need Node.
 */
export {
  readFileMaybeGzip, readIdxFile, loadIdxDataset, loadFashionMnist, loadMnistIdx,
  loadBuiltinMnist, loadBuiltinMnistSplits, builtinMnistDir, builtinDataDir, loadCsv, FASHION_MNIST_DIR,
  type LoadIdxOptions, type IdxSplitOptions,
} from './data/datasets.node.js';
export { writeFileAtomic, type WriteFileAtomicOptions, type AtomicFs } from './io/atomic.node.js';
export { saveSafetensors, loadSafetensors, loadTorchFile, saveTorchFile } from './io/safetensors.node.js';
// Model files (what `gradlab train --out` writes and evaluate/predict/inspect/export read).
export { saveModel, loadModel } from './io/model.node.js';
