/**
 * Node-only data loading: files, gzip (zlib), IDX directories (MNIST, Fashion-MNIST),
 * the built-in MNIST digits (the package's data/mnist-10k/), and CSV files. The parsing itself is in
 * the browser-safe modules (idx.ts, mnist.ts, csv.ts).
 */
import { stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, join } from 'node:path';
import { constants as zlibConstants, gunzip, gunzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { withIndexing, type Dataset, type Indexed } from './dataset.js';
import { FASHION_MNIST_CLASSES, MNIST_CLASSES, idxDeclaredBytes, idxToDataset, isGzip, parseIdx, type IdxData } from './idx.js';
import { readRegularFile } from '../io/files.node.js';
import { BUILTIN_MNIST_FILES, builtinMnistFromIdx, type MnistSplit } from './mnist.js';
import { CSV_OPTIONS, decodeCsvBytes, parseCsv, type CsvOptions } from './csv.js';
import { checkOptions } from '../options.js';

const gunzipAsync = promisify(gunzip);

/** Largest IDX file read, and largest size one may decompress to (1 GiB: 4 GiB as float32 inputs). */
export const MAX_IDX_BYTES = 2 ** 30;
/** Largest CSV file read: the longest string JavaScript can hold (2^29 − 24 characters). */
export const MAX_CSV_BYTES = 2 ** 29 - 24;

const mib = (n: number): string => `${(n / 2 ** 20).toLocaleString('en-US', { maximumFractionDigits: 1 })} MiB`;

/**
 * Decompress gzip data bounded by what it claims to hold: the first bytes are inflated alone
 * to read the IDX header's declared size, and the whole stream may then produce at most that
 * (plus one byte, so that "extra data" is reported by parseIdx) and never more than
 * MAX_IDX_BYTES. A gzip bomb stops at the bound with a message saying so.
 */
function gunzipBounded(path: string, bytes: Uint8Array): Promise<Uint8Array> {
  let prefix: Uint8Array = new Uint8Array(0);
  try {
    // 256 compressed bytes inflate to at most ~264 KB (deflate's ratio is at most 1032:1).
    prefix = gunzipSync(bytes.subarray(0, 256), { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: 1 << 20 });
  } catch {
    /* not even the start inflates: the full pass below reports it */
  }
  const declared = idxDeclaredBytes(prefix);
  if (declared !== null && declared > MAX_IDX_BYTES) {
    throw new Error(`${path}: its IDX header declares ${mib(declared)} of data, more than the ${mib(MAX_IDX_BYTES)} limit`);
  }
  const limit = declared !== null ? declared + 1 : MAX_IDX_BYTES;
  return gunzipAsync(bytes, { maxOutputLength: limit }).then(
    (out) => new Uint8Array(out.buffer, out.byteOffset, out.byteLength),
    (e: NodeJS.ErrnoException) => {
      if (e?.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
        const why = declared !== null ? `more than the ${declared.toLocaleString('en-US')} bytes its IDX header declares` : `more than the ${mib(MAX_IDX_BYTES)} limit`;
        throw new Error(`${path}: gzip data decompresses to ${why} (a gzip bomb or a corrupt file); stopped there`, { cause: e });
      }
      throw new Error(`${path}: corrupt gzip data: ${e?.message ?? String(e)}`, { cause: e });
    },
  );
}

/** Read a file; gzip content (detected by its magic bytes, not the name) is decompressed (bounded: see gunzipBounded). */
export async function readFileMaybeGzip(path: string): Promise<Uint8Array> {
  const bytes = await readRegularFile(path, { maxBytes: MAX_IDX_BYTES, what: 'IDX file' });
  if (!isGzip(bytes)) return bytes;
  return gunzipBounded(path, bytes);
}

/** Read and parse one IDX file (optionally gzip-compressed). */
export async function readIdxFile(path: string): Promise<IdxData> {
  return parseIdx(await readFileMaybeGzip(path), path);
}

export interface LoadIdxOptions {
  name?: string;
  numClasses?: number;
  classNames?: string[];
}

/** Images and labels IDX files as a Dataset: pixels /255 in [0, 1], labels [N] class indices. */
export async function loadIdxDataset(imagesPath: string, labelsPath: string, options: LoadIdxOptions = {}): Promise<Indexed<Dataset>> {
  checkOptions('loadIdxDataset', options, Object.keys({ name: 1, numClasses: 1, classNames: 1 } satisfies Record<keyof LoadIdxOptions, 1>));
  const [images, labels] = await Promise.all([readIdxFile(imagesPath), readIdxFile(labelsPath)]);
  const ds = idxToDataset(images, labels, { ...options, name: options.name ?? basename(imagesPath), imagesName: imagesPath, labelsName: labelsPath });
  return withIndexing(ds, ds.name);
}

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export interface IdxSplitOptions {
  /** Default 'train'. */
  split?: MnistSplit;
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The file names used by the MNIST site (dash) and by common mirrors (dot), each optionally .gz. */
function candidates(prefix: 'train' | 't10k', kind: 'images' | 'labels'): string[] {
  const n = kind === 'images' ? 3 : 1;
  const bases = [`${prefix}-${kind}-idx${n}-ubyte`, `${prefix}-${kind}.idx${n}-ubyte`];
  return bases.flatMap((b) => [b, `${b}.gz`]);
}

/** Find the images/labels pair of a split in an MNIST-layout directory; null names the missing files. */
async function findSplitFiles(dir: string, split: MnistSplit): Promise<{ images: string; labels: string } | { missing: string[] }> {
  const prefix = split === 'train' ? 'train' : 't10k';
  const found: Partial<Record<'images' | 'labels', string>> = {};
  const missing: string[] = [];
  for (const kind of ['images', 'labels'] as const) {
    for (const c of candidates(prefix, kind)) {
      if (await exists(join(dir, c))) {
        found[kind] = join(dir, c);
        break;
      }
    }
    if (!found[kind]) missing.push(`${candidates(prefix, kind)[0]}[.gz]`);
  }
  return found.images && found.labels ? { images: found.images, labels: found.labels } : { missing };
}

function checkSplit(fn: string, split: unknown): MnistSplit {
  if (split !== 'train' && split !== 'test') throw new Error(`${fn}: split must be 'train' or 'test', got ${String(split)}`);
  return split;
}

const FOUR_FILES = 'train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each optionally .gz)';

/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017): 60,000 training / 10,000 test 28×28
 * grey images of 10 clothing classes, from Debian's `dataset-fashion-mnist` by default.
 */
export async function loadFashionMnist(dir: string = FASHION_MNIST_DIR, options: IdxSplitOptions = {}): Promise<Indexed<Dataset>> {
  const split = checkSplit('loadFashionMnist', options.split ?? 'train');
  const files = await findSplitFiles(dir, split);
  if ('missing' in files) {
    throw new Error(
      `Fashion-MNIST not found in ${dir} (missing ${files.missing.join(', ')}). ` +
        `Install it with \`apt-get install dataset-fashion-mnist\` (files go to ${FASHION_MNIST_DIR}), ` +
        `or point --data at a directory holding the four IDX files ${FOUR_FILES} from https://github.com/zalandoresearch/fashion-mnist.`,
    );
  }
  return loadIdxDataset(files.images, files.labels, { name: `fashion-mnist (${split})`, numClasses: 10, classNames: FASHION_MNIST_CLASSES });
}

/** The full MNIST (LeCun et al. 1998) from a directory of its four IDX files (60,000 / 10,000 digits). */
export async function loadMnistIdx(dir: string, options: IdxSplitOptions = {}): Promise<Indexed<Dataset>> {
  const split = checkSplit('loadMnistIdx', options.split ?? 'train');
  const files = await findSplitFiles(dir, split);
  if ('missing' in files) {
    throw new Error(
      `MNIST not found in ${dir} (missing ${files.missing.join(', ')}). ` +
        `Point --data at a directory holding the four IDX files ${FOUR_FILES} (from http://yann.lecun.com/exdb/mnist/ or a mirror), ` +
        `or use the built-in 10,000-digit MNIST (loadBuiltinMnist).`,
    );
  }
  return loadIdxDataset(files.images, files.labels, { name: `mnist (${split})`, numClasses: 10, classNames: MNIST_CLASSES });
}

/**
 * The package's data/ directory, which holds the built-in digits (BUILTIN_MNIST_FILES):
 * two levels up from this module both as src/data/*.ts and as dist/data/*.js.
 */
export function builtinDataDir(): string {
  return fileURLToPath(new URL('../../data/', import.meta.url));
}

/** Directory of the built-in MNIST's two IDX files (data/mnist-10k/ of this package). */
export function builtinMnistDir(): string {
  return join(builtinDataDir(), 'mnist-10k');
}

/** Both splits of the built-in MNIST (see mnist.ts for the fixed 8,000 / 2,000 split). */
export async function loadBuiltinMnistSplits(): Promise<{ train: Dataset; test: Dataset }> {
  const images = join(builtinDataDir(), BUILTIN_MNIST_FILES.images);
  const labels = join(builtinDataDir(), BUILTIN_MNIST_FILES.labels);
  for (const f of [images, labels]) {
    if (!existsSync(f)) throw new Error(`built-in MNIST: ${f} is missing; this gradlab installation is incomplete (reinstall it, or in a clone run \`npm run make:digits\`)`);
  }
  const [imageBytes, labelBytes] = await Promise.all([readFileMaybeGzip(images), readFileMaybeGzip(labels)]);
  return builtinMnistFromIdx(imageBytes, labelBytes, { images, labels });
}

/** One split of the built-in MNIST: 'train' (8,000 digits) or 'test' (2,000). */
export async function loadBuiltinMnist(options: IdxSplitOptions = {}): Promise<Dataset> {
  const split = checkSplit('loadBuiltinMnist', options.split ?? 'train');
  return (await loadBuiltinMnistSplits())[split];
}

/** Read a CSV file (see csv.ts); the file's name appears in error messages. */
export async function loadCsv(path: string, options: CsvOptions = {}): Promise<Dataset> {
  checkOptions('loadCsv', options, CSV_OPTIONS);
  const text = decodeCsvBytes(await readRegularFile(path, { maxBytes: MAX_CSV_BYTES, what: 'CSV file' }), options.name ?? path);
  return parseCsv(text, { ...options, name: options.name ?? path });
}
