/**
 * The safetensors format (huggingface/safetensors), read and written exactly as the
 * reference implementation (the Rust crate behind the Python package) does:
 *
 *   8 bytes   N, unsigned 64-bit little-endian: the header's length in bytes
 *   N bytes   UTF-8 JSON object: {"__metadata__": {string: string}?,
 *             name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...}
 *             padded with spaces (0x20) to a multiple of 8 so that the data section, and
 *             hence every tensor of dtype ≤ 8 bytes, is 8-byte aligned
 *   rest      the data section: each tensor's elements, little-endian, row-major, at
 *             [begin, end) relative to the start of the section
 *
 * Writing (the reference's `prepare`): tensors sorted by dtype in descending order of the
 * reference's Dtype enum (U64, I64, F64, F32, U32, I32, BF16, F16, U16, I16, F8_E4M3,
 * F8_E5M2, I8, U8, BOOL — larger alignment first), then by name (byte order), laid out
 * back to back in that order; the header is compact JSON (serde_json::to_string) with
 * "__metadata__" first (only when metadata is given) and the tensors in layout order,
 * each as {"dtype", "shape", "data_offsets"}. The reference writes metadata in HashMap
 * order (unspecified); we sort its keys to be deterministic.
 *
 * Reading validates the whole header before allocating any tensor: header length within
 * the file and ≤ 100,000,000 bytes (the reference's MAX_HEADER_SIZE), valid UTF-8, a JSON
 * object, known dtypes, shapes of non-negative integers, Π shape × element size equal to
 * the offsets' span, offsets inside the data section, and the tensors, sorted by offset,
 * covering the data section exactly (no gap, no overlap, nothing after the last one);
 * metadata values must be strings. Before the JSON is built, its nesting (≤ 16) and its keys
 * (≤ 2^18) are counted (io/json.ts). Each violation is an Error naming the problem.
 */
import { Tensor, formatShape } from '../tensor.js';
import { checkJsonShape } from './json.js';

export type SafetensorsDType =
  | 'BOOL' | 'U8' | 'I8' | 'F8_E5M2' | 'F8_E4M3' | 'I16' | 'U16' | 'F16' | 'BF16' | 'I32' | 'U32' | 'F32' | 'F64' | 'I64' | 'U64';

/** The reference's Dtype enum in declaration order (its derived Ord) and element sizes. */
const DTYPE_ORDER: readonly SafetensorsDType[] = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64'];
const DTYPE_SIZE: Record<SafetensorsDType, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};

/** The reference's MAX_HEADER_SIZE. */
export const MAX_HEADER_SIZE = 100_000_000;
/**
 * Most keys in a header (tensor names, their three fields, metadata entries): 2^18 allows
 * 65,536 tensors. Counted before the JSON is built, so a 99 MB header of 7M keys is refused
 * at once instead of taking a minute and gigabytes to parse.
 */
export const MAX_HEADER_KEYS = 1 << 18;
/** Deepest header nesting (the format needs 3: object → tensor entry → shape). */
export const MAX_HEADER_DEPTH = 16;

export type SafetensorsArray =
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array | Int32Array | Uint32Array
  | Int16Array | Uint16Array | Int8Array | Uint8Array;

/**
 * One stored tensor. Element types as read: F32 → Float32Array, F64 → Float64Array,
 * I64 → BigInt64Array, U64 → BigUint64Array, I32/U32/I16/U16/I8/U8 → the matching typed
 * array, BOOL → Uint8Array of 0/1, F16 and BF16 → Float32Array (widened exactly).
 * F8 types are recognised (their sizes are validated) but cannot be decoded.
 */
export interface SafetensorsEntry {
  dtype: SafetensorsDType;
  shape: number[];
  data: SafetensorsArray;
}

export interface SafetensorsFile {
  /** In data-offset order. */
  tensors: Map<string, SafetensorsEntry>;
  /** The "__metadata__" map, or null when the file has none. */
  metadata: Record<string, string> | null;
}

/**
 * What the writer accepts: a float32/float64 Tensor, an explicit entry (F32, F64 or I64), or
 * {shape, data} with a Float32Array/Float64Array, whose type gives the dtype (a StateSnapshot
 * entry: ModelCheckpoint's `modelState`, snapshotState(model)).
 */
export type SafetensorsInput =
  | Tensor
  | { dtype?: undefined; shape: readonly number[]; data: Float32Array | Float64Array }
  | { dtype: 'F32'; shape: readonly number[]; data: ArrayLike<number> }
  | { dtype: 'F64'; shape: readonly number[]; data: ArrayLike<number> }
  | { dtype: 'I64'; shape: readonly number[]; data: BigInt64Array | ArrayLike<number> };

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Byte-wise (UTF-8) comparison, as Rust's String Ord. */
function compareUtf8(a: string, b: string): number {
  const enc = new TextEncoder();
  const x = enc.encode(a);
  const y = enc.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

interface Prepared {
  name: string;
  dtype: 'F32' | 'F64' | 'I64';
  shape: number[];
  write: (view: DataView, offset: number) => void;
  nbytes: number;
}

/** A lone UTF-16 surrogate cannot be encoded as UTF-8, so no reader could parse the header. */
const LONE_SURROGATE = /\p{Cs}/u;

function prepare(name: string, input: SafetensorsInput): Prepared {
  const where = `serializeSafetensors: tensor "${name}"`;
  if (LONE_SURROGATE.test(name)) throw new Error(`${where}: the name contains a lone UTF-16 surrogate (not encodable as UTF-8)`);
  let dtype: 'F32' | 'F64' | 'I64';
  let shape: number[];
  let data: ArrayLike<number> | BigInt64Array;
  if (input instanceof Tensor || (input && input.dtype === undefined && (input.data instanceof Float32Array || input.data instanceof Float64Array))) {
    dtype = input.data instanceof Float64Array ? 'F64' : 'F32';
    shape = input.shape.slice();
    data = input.data;
  } else if (input && (input.dtype === 'F32' || input.dtype === 'F64' || input.dtype === 'I64')) {
    dtype = input.dtype;
    shape = Array.from(input.shape);
    data = input.data;
  } else {
    const d = (input as { dtype?: unknown })?.dtype;
    throw new Error(`${where}: cannot write dtype ${String(d)} (writable: F32, F64, I64; or pass a Tensor)`);
  }
  for (const d of shape) if (!Number.isSafeInteger(d) || d < 0) throw new Error(`${where}: invalid shape ${formatShape(shape)}`);
  const n = numel(shape);
  if (!data || data.length !== n) throw new Error(`${where}: ${data?.length} values cannot take shape ${formatShape(shape)} (${n} elements)`);
  const size = DTYPE_SIZE[dtype];
  const write = (view: DataView, offset: number): void => {
    if (dtype === 'F32') for (let i = 0; i < n; i++) view.setFloat32(offset + 4 * i, (data as ArrayLike<number>)[i], true);
    else if (dtype === 'F64') for (let i = 0; i < n; i++) view.setFloat64(offset + 8 * i, (data as ArrayLike<number>)[i], true);
    else if (data instanceof BigInt64Array) for (let i = 0; i < n; i++) view.setBigInt64(offset + 8 * i, data[i], true);
    else {
      for (let i = 0; i < n; i++) {
        const v = (data as ArrayLike<number>)[i];
        if (!Number.isSafeInteger(v)) throw new Error(`${where}: I64 value ${v} at index ${i} is not an integer (or not exactly representable)`);
        view.setBigInt64(offset + 8 * i, BigInt(v), true);
      }
    }
  };
  return { name, dtype, shape, write, nbytes: n * size };
}

/**
 * Serialize tensors (and optional string metadata) to safetensors bytes, laid out and
 * ordered as the reference implementation does (see the module comment).
 */
export function serializeSafetensors(
  tensors: Record<string, SafetensorsInput> | Map<string, SafetensorsInput>,
  metadata?: Record<string, string>,
): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const prepared = entries.map(([name, t]) => {
    if (name === '__metadata__') throw new Error('serializeSafetensors: "__metadata__" is reserved and cannot name a tensor');
    return prepare(name, t);
  });
  prepared.sort((a, b) => DTYPE_ORDER.indexOf(b.dtype) - DTYPE_ORDER.indexOf(a.dtype) || compareUtf8(a.name, b.name));
  // JSON.stringify writes an object's string keys in insertion order, except integer-like
  // keys ("0", "1", …), which it puts first in numeric order; so build the text by hand.
  const parts: string[] = [];
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw new Error('serializeSafetensors: metadata must be an object of strings');
    const keys = Object.keys(metadata).sort(compareUtf8);
    for (const k of keys) {
      if (typeof metadata[k] !== 'string') throw new Error(`serializeSafetensors: metadata value of "${k}" must be a string, got ${typeof metadata[k]}`);
      if (LONE_SURROGATE.test(k) || LONE_SURROGATE.test(metadata[k])) throw new Error(`serializeSafetensors: metadata entry "${k}" contains a lone UTF-16 surrogate (not encodable as UTF-8)`);
    }
    parts.push(`"__metadata__":{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const p of prepared) {
    offsets.push(offset);
    parts.push(`${JSON.stringify(p.name)}:{"dtype":"${p.dtype}","shape":[${p.shape.join(',')}],"data_offsets":[${offset},${offset + p.nbytes}]}`);
    offset += p.nbytes;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  prepared.forEach((p, i) => p.write(view, 8 + padded + offsets[i]));
  return out;
}

interface HeaderEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * What a file that cannot be safetensors (its length field exceeds it) is instead, from its first
 * bytes, when it is a format users mistake for a model file: JSON or other text, HDF5 (Keras),
 * ONNX; null otherwise.
 */
function otherFormat(bytes: Uint8Array): string | null {
  const head = bytes.subarray(0, 64);
  if (head[0] === 0x89 && head[1] === 0x48 && head[2] === 0x44 && head[3] === 0x46) return 'it is an HDF5 file (a Keras .h5 model?)';
  // ONNX's ModelProto begins with field 1 (ir_version, a varint) and field 2 or 3 (a string).
  if (head[0] === 0x08 && head[1] < 0x80 && (head[2] === 0x12 || head[2] === 0x1a || head[2] === 0x3a)) return 'it looks like an ONNX model (gradlab export --onnx writes them; they are not read back)';
  if (!head.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b !== 0x7f))) return null;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true }); // a character cut at byte 64 is fine
  } catch {
    return null;
  }
  const first = String.fromCharCode(...head.filter((b) => b < 0x80)).trimStart()[0];
  return first === '{' || first === '[' ? 'it is a JSON file' : 'it is a text file';
}

/**
 * Parse and validate the header only: the tensors' names, dtypes, shapes and absolute
 * byte ranges, and the metadata. Throws an Error naming the first problem found.
 */
export function readSafetensorsHeader(
  bytes: Uint8Array,
  name = 'safetensors data',
): { entries: HeaderEntry[]; metadata: Record<string, string> | null; dataStart: number } {
  const fail = (msg: string): never => {
    throw new Error(`${name}: ${msg}`);
  };
  if (!(bytes instanceof Uint8Array)) fail('expected bytes (a Uint8Array)');
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) {
    const other = otherFormat(bytes);
    if (other !== null) fail(`not a safetensors file: ${other}`);
  }
  if (n64 > BigInt(MAX_HEADER_SIZE)) fail(`header length ${n64} exceeds the ${MAX_HEADER_SIZE}-byte limit`);
  const n = Number(n64);
  if (n > bytes.length - 8) fail(`header length ${n} exceeds the file: only ${bytes.length - 8} bytes follow the length field (truncated file?)`);
  if (n < 2) fail(`header length ${n} is too small for a JSON object`);
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail('header is not valid UTF-8');
  }
  if (text[0] !== '{') fail(`header does not start with "{" (first byte 0x${bytes[8].toString(16).padStart(2, '0')})`);
  checkJsonShape(text, `${name}: header`, { maxDepth: MAX_HEADER_DEPTH, maxKeys: MAX_HEADER_KEYS });
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(header)) fail('header is not a JSON object');
  const h = header as Record<string, unknown>;
  const dataLen = bytes.length - 8 - n;

  let metadata: Record<string, string> | null = null;
  const entries: HeaderEntry[] = [];
  for (const [key, value] of Object.entries(h)) {
    if (key === '__metadata__') {
      if (value === null) continue; // the reference reads null as "no metadata" (Option::None)
      if (!isPlainObject(value)) fail('"__metadata__" must be an object of strings');
      const m = value as Record<string, unknown>;
      for (const [mk, mv] of Object.entries(m)) {
        if (typeof mv !== 'string') fail(`metadata value of "${mk}" must be a string, got ${mv === null ? 'null' : Array.isArray(mv) ? 'array' : typeof mv}`);
      }
      metadata = { ...(m as Record<string, string>) };
      continue;
    }
    const t = `tensor "${key}"`;
    if (!isPlainObject(value)) fail(`${t}: entry must be an object {dtype, shape, data_offsets}`);
    const v = value as Record<string, unknown>;
    const dtype = v.dtype;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_SIZE)) fail(`${t}: unknown dtype ${JSON.stringify(dtype)} (known: ${DTYPE_ORDER.join(', ')})`);
    const shape = v.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      fail(`${t}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    const off = v.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)) {
      fail(`${t}: data_offsets must be [begin, end] of non-negative integers, got ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    if (end < begin) fail(`${t}: data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataLen) {
      // The header is whole but the data is not: the common case is a file cut short (a copy or download interrupted).
      const last = Math.max(...Object.values(h).map((e) => (isPlainObject(e) && Array.isArray((e as Record<string, unknown>).data_offsets) ? Number(((e as Record<string, unknown>).data_offsets as unknown[])[1]) || 0 : 0)));
      const cut = Number.isSafeInteger(last) && last > dataLen ? `: the file is truncated (${bytes.length} bytes; its header describes ${8 + n + last}) — an interrupted copy, download or save?` : '';
      fail(`${t}: data_offsets [${begin}, ${end}] reach past the data section (${dataLen} bytes)${cut}`);
    }
    const count = numel(shape as number[]);
    const nbytes = count * DTYPE_SIZE[dtype as SafetensorsDType];
    if (!Number.isSafeInteger(nbytes)) fail(`${t}: shape ${formatShape(shape as number[])} is too large`);
    if (nbytes !== end - begin) {
      fail(`${t}: shape ${formatShape(shape as number[])} of ${dtype} needs ${nbytes} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    entries.push({ name: key, dtype: dtype as SafetensorsDType, shape: (shape as number[]).slice(), begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: HeaderEntry | null = null;
  for (const e of entries) {
    if (e.begin > pos) fail(`gap in the data section: bytes [${pos}, ${e.begin}) before tensor "${e.name}" belong to no tensor`);
    if (e.begin < pos) fail(`tensors "${prev!.name}" and "${e.name}" overlap (tensor "${e.name}" begins at ${e.begin}, before ${pos})`);
    pos = e.end;
    prev = e;
  }
  if (pos !== dataLen) fail(`the data section has ${dataLen} bytes but the tensors cover ${pos} (${dataLen - pos} trailing bytes)`);
  return { entries: entries.map((e) => ({ ...e, begin: e.begin + 8 + n, end: e.end + 8 + n })), metadata, dataStart: 8 + n };
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function decode(bytes: Uint8Array, e: HeaderEntry, name: string): SafetensorsArray {
  // Copy into a fresh, aligned ArrayBuffer (not bytes.slice: on a Node Buffer it is a view).
  return decodeElements(new Uint8Array(bytes.subarray(e.begin, e.end)), e.dtype, numel(e.shape), `tensor "${e.name}"`, name);
}

/**
 * `count` little-endian elements of `dtype` from `raw` (a fresh array that the result may take
 * over as its buffer), as SafetensorsEntry holds them; `what` and `name` go into messages.
 * Shared with the reader of PyTorch's torch.save files (torch-file.ts).
 */
export function decodeElements(raw: Uint8Array, dtype: SafetensorsDType, count: number, what: string, name: string): SafetensorsArray {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const typed = <T>(Ctor: new (buf: ArrayBuffer, offset: number, length: number) => T, get: (i: number) => number | bigint, Out: new (n: number) => T): T => {
    if (LITTLE_ENDIAN && raw.byteOffset === 0) return new Ctor(raw.buffer as ArrayBuffer, 0, count);
    const out = new Out(count) as unknown as Record<number, number | bigint>;
    for (let i = 0; i < count; i++) out[i] = get(i);
    return out as unknown as T;
  };
  switch (dtype) {
    case 'F32': return typed(Float32Array, (i) => view.getFloat32(4 * i, true), Float32Array);
    case 'F64': return typed(Float64Array, (i) => view.getFloat64(8 * i, true), Float64Array);
    case 'I64': return typed(BigInt64Array, (i) => view.getBigInt64(8 * i, true), BigInt64Array);
    case 'U64': return typed(BigUint64Array, (i) => view.getBigUint64(8 * i, true), BigUint64Array);
    case 'I32': return typed(Int32Array, (i) => view.getInt32(4 * i, true), Int32Array);
    case 'U32': return typed(Uint32Array, (i) => view.getUint32(4 * i, true), Uint32Array);
    case 'I16': return typed(Int16Array, (i) => view.getInt16(2 * i, true), Int16Array);
    case 'U16': return typed(Uint16Array, (i) => view.getUint16(2 * i, true), Uint16Array);
    case 'I8': return new Int8Array(raw.buffer, raw.byteOffset, count);
    case 'U8': return raw;
    case 'BOOL': {
      for (let i = 0; i < count; i++) if (raw[i] > 1) throw new Error(`${name}: ${what}: BOOL element ${i} is ${raw[i]}, not 0 or 1`);
      return raw;
    }
    case 'F16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = f16ToF32(view.getUint16(2 * i, true));
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(count);
      const w = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        w.setUint32(0, view.getUint16(2 * i, true) << 16, false);
        out[i] = w.getFloat32(0, false);
      }
      return out;
    }
    default:
      throw new Error(`${name}: ${what}: dtype ${dtype} is valid safetensors but gradlab cannot decode it`);
  }
}

/** Parse safetensors bytes; the header is fully validated before any tensor is allocated. */
export function parseSafetensors(bytes: Uint8Array, name = 'safetensors data'): SafetensorsFile {
  const { entries, metadata } = readSafetensorsHeader(bytes, name);
  const tensors = new Map<string, SafetensorsEntry>();
  for (const e of entries) tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: decode(bytes, e, name) });
  return { tensors, metadata };
}

/**
 * A stored tensor as a gradlab Tensor: F64 stays float64, every other dtype becomes
 * float32 (integers beyond 2^24 lose precision, as in torch's `.float()`; 64-bit integers
 * beyond 2^53 are rejected).
 */
export function entryToTensor(entry: SafetensorsEntry, name = 'tensor'): Tensor {
  const n = entry.data.length;
  if (entry.data instanceof Float64Array) return new Tensor(entry.data, entry.shape);
  if (entry.data instanceof Float32Array) return new Tensor(entry.data, entry.shape);
  const out = new Float32Array(n);
  if (entry.data instanceof BigInt64Array || entry.data instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) {
      const v = Number(entry.data[i]);
      if (!Number.isSafeInteger(v)) throw new Error(`${name}: ${entry.dtype} value ${entry.data[i]} at index ${i} is beyond 2^53`);
      out[i] = v;
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = entry.data[i];
  }
  return new Tensor(out, entry.shape);
}
