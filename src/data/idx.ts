/**
 * The IDX format of MNIST and Fashion-MNIST (LeCun et al., http://yann.lecun.com/exdb/mnist/):
 *
 *   bytes 0–1  zero
 *   byte  2    element type: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64
 *   byte  3    number of dimensions d
 *   then d big-endian u32 sizes, then the elements, big-endian, row-major.
 *
 * Pure functions over bytes; reading files and gunzipping live in the Node layer
 * (idx.node.ts). Every check names the file (the `name` argument).
 */
import { Tensor, formatShape, showValue } from '../tensor.js';
import { checkOptions } from '../options.js';
import type { Dataset } from './dataset.js';

export type IdxDType = 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';
export type IdxArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxData {
  dtype: IdxDType;
  shape: number[];
  data: IdxArray;
}

const CODES: Record<number, { dtype: IdxDType; size: number }> = {
  0x08: { dtype: 'u8', size: 1 },
  0x09: { dtype: 'i8', size: 1 },
  0x0b: { dtype: 'i16', size: 2 },
  0x0c: { dtype: 'i32', size: 4 },
  0x0d: { dtype: 'f32', size: 4 },
  0x0e: { dtype: 'f64', size: 8 },
};

const CODE_OF: Record<IdxDType, number> = { u8: 0x08, i8: 0x09, i16: 0x0b, i32: 0x0c, f32: 0x0d, f64: 0x0e };

/** True when the bytes start like gzip (RFC 1952 magic 1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * The total size (header + data) an IDX file's header declares, from its first bytes, or null
 * when they are too few or not an IDX header. Lets a reader bound a decompression before it
 * runs (a gzip bomb declares nothing, so it is cut at the declared size).
 */
export function idxDeclaredBytes(prefix: Uint8Array): number | null {
  if (prefix.length < 4 || prefix[0] !== 0 || prefix[1] !== 0) return null;
  const code = CODES[prefix[2]];
  const ndim = prefix[3];
  if (!code || ndim === 0) return null;
  const headerLen = 4 + 4 * ndim;
  if (prefix.length < headerLen) return null;
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  let count = 1;
  for (let i = 0; i < ndim; i++) count *= view.getUint32(4 + 4 * i, false);
  return headerLen + count * code.size;
}

/** Parse an IDX file; validates the header and that the data size is exactly Π sizes × element size. */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxData {
  if (!(bytes instanceof Uint8Array)) throw new Error(`parseIdx: bytes must be a Uint8Array (the file's contents), got ${typeof bytes === 'string' ? 'a string (a path? readIdxFile(path) in gradlab/node reads and parses a file)' : showValue(bytes)}`);
  if (isGzip(bytes)) throw new Error(`${name}: is gzip-compressed; decompress it first (the Node loaders do this)`);
  if (bytes.length < 4) throw new Error(`${name}: truncated IDX file: ${bytes.length} bytes, the header alone needs 4`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new Error(`${name}: not an IDX file: magic number starts ${hex}, expected 00 00 <type> <dims>`);
  }
  const code = CODES[bytes[2]];
  if (!code) throw new Error(`${name}: unknown IDX element type 0x${bytes[2].toString(16).padStart(2, '0')} (known: 08 u8, 09 i8, 0b i16, 0c i32, 0d f32, 0e f64)`);
  const ndim = bytes[3];
  if (ndim === 0) throw new Error(`${name}: IDX header declares 0 dimensions`);
  const headerLen = 4 + 4 * ndim;
  if (bytes.length < headerLen) throw new Error(`${name}: truncated IDX header: ${ndim} dimensions need ${headerLen} bytes, file has ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    count *= d;
  }
  const expected = count * code.size;
  const actual = bytes.length - headerLen;
  if (!Number.isSafeInteger(expected) || expected > actual) {
    throw new Error(`${name}: truncated IDX data: shape ${formatShape(shape)} of ${code.dtype} needs ${expected} bytes after the header, file has ${actual}`);
  }
  if (expected < actual) {
    throw new Error(`${name}: IDX size mismatch: shape ${formatShape(shape)} of ${code.dtype} needs ${expected} bytes after the header, file has ${actual} (${actual - expected} extra)`);
  }
  let data: IdxArray;
  switch (code.dtype) {
    // new Uint8Array(view) copies (bytes.slice would not on a Node Buffer).
    case 'u8':
      data = new Uint8Array(bytes.subarray(headerLen));
      break;
    case 'i8':
      data = new Int8Array(new Uint8Array(bytes.subarray(headerLen)).buffer);
      break;
    case 'i16':
      data = new Int16Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getInt16(headerLen + 2 * i, false);
      break;
    case 'i32':
      data = new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getInt32(headerLen + 4 * i, false);
      break;
    case 'f32':
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(headerLen + 4 * i, false);
      break;
    case 'f64':
      data = new Float64Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat64(headerLen + 8 * i, false);
      break;
  }
  return { dtype: code.dtype, shape, data };
}

/** Encode values as an IDX file (the inverse of parseIdx). */
export function encodeIdx(data: ArrayLike<number>, shape: readonly number[], dtype: IdxDType = 'u8'): Uint8Array {
  const code = CODE_OF[dtype];
  if (code === undefined) throw new Error(`encodeIdx: unknown dtype ${String(dtype)} (known: ${Object.keys(CODE_OF).join(', ')})`);
  if (shape.length < 1 || shape.length > 255) throw new Error(`encodeIdx: IDX needs 1 to 255 dimensions, got ${shape.length}`);
  let count = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) throw new Error(`encodeIdx: invalid dimension ${d} in shape ${formatShape(shape)}`);
    count *= d;
  }
  if (count !== data.length) throw new Error(`encodeIdx: ${data.length} values cannot take shape ${formatShape(shape)}`);
  const size = CODES[code].size;
  const headerLen = 4 + 4 * shape.length;
  const out = new Uint8Array(headerLen + count * size);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) {
    const p = headerLen + i * size;
    const v = data[i];
    switch (dtype) {
      case 'u8': view.setUint8(p, v); break;
      case 'i8': view.setInt8(p, v); break;
      case 'i16': view.setInt16(p, v, false); break;
      case 'i32': view.setInt32(p, v, false); break;
      case 'f32': view.setFloat32(p, v, false); break;
      case 'f64': view.setFloat64(p, v, false); break;
    }
  }
  return out;
}

export interface IdxDatasetOptions {
  name?: string;
  /** Default: 10 (MNIST, Fashion-MNIST). Labels must be in 0..numClasses−1. */
  numClasses?: number;
  classNames?: string[];
  /** Names of the two files, for error messages. */
  imagesName?: string;
  labelsName?: string;
}

const IDX_DATASET_OPTIONS = Object.keys({ name: 1, numClasses: 1, classNames: 1, imagesName: 1, labelsName: 1 } satisfies Record<keyof IdxDatasetOptions, 1>);

/**
 * Images and labels as a Dataset: x is [N, Π image dims] float32, u8 pixels scaled by
 * 1/255 to [0, 1]; y is [N] class indices.
 */
export function idxToDataset(images: IdxData, labels: IdxData, options: IdxDatasetOptions = {}): Dataset {
  checkOptions('idxToDataset', options, IDX_DATASET_OPTIONS);
  const imagesName = options.imagesName ?? 'images';
  const labelsName = options.labelsName ?? 'labels';
  if (options.numClasses !== undefined && !(Number.isInteger(options.numClasses) && options.numClasses >= 2)) {
    throw new Error(`idxToDataset: numClasses must be an integer ≥ 2, got ${showValue(options.numClasses)}`);
  }
  if (images.dtype !== 'u8') throw new Error(`${imagesName}: expected u8 pixels, IDX type is ${images.dtype}`);
  if (images.shape.length < 2) throw new Error(`${imagesName}: expected images of shape [N, ...], got ${formatShape(images.shape)}${images.shape.length === 1 && labels.shape.length > 1 ? ' (the shape of labels: are the images and labels files swapped?)' : ''}`);
  if (labels.shape.length !== 1) throw new Error(`${labelsName}: expected labels of shape [N], got ${formatShape(labels.shape)}`);
  const n = images.shape[0];
  if (labels.shape[0] !== n) throw new Error(`${labelsName}: has ${labels.shape[0]} labels but ${imagesName} has ${n} images`);
  const numClasses = options.numClasses ?? 10;
  const features = images.shape.slice(1).reduce((a, b) => a * b, 1);
  if (features < 1) throw new Error(`${imagesName}: images of shape ${formatShape(images.shape)} have no pixels`);
  const x = new Float32Array(images.data.length);
  const px = images.data;
  for (let i = 0; i < x.length; i++) x[i] = px[i] / 255;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = labels.data[i];
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) throw new Error(`${labelsName}: label ${c} of example ${i} is outside 0..${numClasses - 1}`);
    y[i] = c;
  }
  if (options.classNames && options.classNames.length !== numClasses) {
    throw new Error(`idxToDataset: ${options.classNames.length} class names for ${numClasses} classes`);
  }
  return {
    x: new Tensor(x, [n, features]),
    y: new Tensor(y, [n]),
    numClasses,
    ...(options.classNames ? { classNames: options.classNames.slice() } : {}),
    name: options.name ?? imagesName,
  };
}

export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Fashion-MNIST's label names (Xiao, Rasul & Vollgraf 2017, README of zalandoresearch/fashion-mnist). */
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
