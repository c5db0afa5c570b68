/** Browser-safe data API (the Node file loaders are exported from src/node.ts). */
export { TensorDataset, type Dataset, type DatasetLike, type Indexed, type SplitOptions, subset, trainValidationSplit, validateDataset, datasetLength, classCounts } from './dataset.js';
export { DataLoader, type DataLoaderOptions, type Batch } from './dataloader.js';
export { Subset, randomSplit, defaultCollate, type MapStyleDataset, type PyMapStyleDataset } from './map-style.js';
export {
  spiral, circles, xor, moons, blobs, sine, plane, syntheticDatasets,
  type SyntheticOptions, type SpiralOptions, type BlobsOptions, type SyntheticName,
} from './synthetic.js';
export {
  parseIdx, encodeIdx, idxToDataset, isGzip, MNIST_CLASSES, FASHION_MNIST_CLASSES,
  type IdxData, type IdxDType, type IdxArray, type IdxDatasetOptions,
} from './idx.js';
export {
  mnistFromDigits, builtinMnistFromIdx, fetchBuiltinMnist, BUILTIN_MNIST_FILES, MNIST_PIXEL_VALUES, MNIST_DIGIT_COUNTS, MNIST_TRAIN_FRACTION, MNIST_ORDER_SEED,
  type MnistSplit,
} from './mnist.js';
export { parseCsv, csvHeader, decodeCsvBytes, type CsvOptions } from './csv.js';
export { fitScaler, applyScaler, scaleDataset, scaleSplits, SCALING_METHODS, type Scaler, type ScalingMethod } from './scaler.js';
