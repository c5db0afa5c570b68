/**
 * Automatic memory for tensors in WebAssembly memory: user code never frees anything.
 *
 * The problem: with the wasm backend, tensor storage is a block of wasm linear memory, and a
 * block only comes back when the garbage collector has dropped its view AND the event loop has
 * run the FinalizationRegistry callback — never inside a synchronous training loop, which
 * would grow until wasm's 4 GiB limit.
 *
 * The rules (ARCHITECTURE.md, "Memory"):
 * - **Persistent storage** stays in wasm memory for the life of its tensor: parameters, module
 *   buffers (running statistics), parameter gradients, optimizer state, DataLoader batch
 *   buffers. `markPersistent()` declares it.
 * - **Step-local storage** is everything else made while training: op outputs, `tensor()`
 *   copies of user arrays, gradients of non-leaf tensors, the buffers ops save for backward
 *   (`savedBuffer`: a graph that is never backpropagated must not pin them). Each such tensor is tracked here
 *   (the young list) when it is created.
 * - **Step boundaries**: `optimizer.step()`; `optimizer.zeroGrad()` and `module.zeroGrad()` for
 *   the tensors that were already young at the previous boundary (`zeroGradBoundary`: the
 *   batch made just before `zeroGrad()`, or a graph not yet backpropagated, waits for `step()`);
 *   and — when the young tensors hold more than the budget (`YOUNG_BUDGET_BYTES`, doubled by
 *   `graphMoved` while one step's tensors outgrow it) — the end of `backward()`, `tensor()`,
 *   the end of an outermost `noGrad()`, the entry of an outermost `Sequential.forward`, and under
 *   noGrad the entry of a built-in layer or outermost Sequential (`layerEntry`, which keeps the input). At a boundary every young tensor still holding wasm storage has its
 *   values moved into an ordinary JS Float32Array (one copy) and its wasm block is returned at
 *   once. The tensor stays valid with the same values; from then on the JS garbage collector
 *   owns it like any other JS array. Tensors already released (backward frees the inner
 *   activations of a Sequential) cost nothing.
 * - An evicted tensor used again as an op input is copied back into wasm at the op's entry
 *   (`assertTensor` → `stage`), so the fast kernels run on it; it is young again.
 * - `tensor()` of more than the budget (a whole dataset) makes its copy in JS memory from the
 *   start, as if moved (`startsMoved`).
 *
 * Costs: one copy of each step-local tensor that is still alive at a boundary — in a plain
 * loop over a Sequential that is the input batch, the logits and the loss (≈ 400 kB at batch
 * 128 for MNIST), against ≈ 200 MFLOP of GEMMs per step. What user code must know: a `.data`
 * array read from a step-local tensor belongs to that step — read `.data` again from the tensor
 * after the next step boundary (the tensor itself is always valid), or copy the values out
 * (`toArray()`, `Array.from`).
 */
import { isGradEnabled } from './autograd.js';
import { K } from './kernels/index.js';
import type { FloatArray } from './kernels/types.js';
import type { Tensor } from './tensor.js';

/**
 * Young storage that triggers an early boundary. Large enough that a step of any model that
 * fits in memory completes between two boundaries (so activations are not copied out while
 * their graph still needs them), small enough that a loop with no optimizer (evaluation under
 * noGrad) keeps wasm memory within a few tens of MB of its working set.
 */
export const YOUNG_BUDGET_BYTES = 64 * 2 ** 20;
/**
 * The budget grows up to this (graphMoved): one step's tensors of a conv net at batch 128
 * (≈ 100 MB for the benchmark CNN) pass 64 MB, and then an early boundary in the middle of the
 * step — at the `tensor(y)` of `loss(model.forward(tensor(x)), tensor(y))` — moved the
 * activations backward needs to JS arrays, so its kernels ran on the reference loops: ≈ 1 s a
 * step instead of ≈ 0.11 s.
 */
export const YOUNG_BUDGET_MAX_BYTES = 1024 * 2 ** 20;
let youngBudget = YOUNG_BUDGET_BYTES;
/** An early boundary (past the budget) has run since the last regular one. */
let earlyPending = false;

/** @internal Tests: a smaller budget makes the early boundaries happen within a short loop. */
export function setYoungBudget(bytes: number = YOUNG_BUDGET_BYTES): void {
  youngBudget = bytes;
  earlyPending = false;
}

let young: Tensor[] = [];
/** Tensors given a step of grace by the last `zeroGrad()` (zeroGradBoundary); still young. */
let older: Tensor[] = [];
/** Bytes of the young and older tensors together (the budget counts both). */
let youngBytes = 0;
const persistentArrays = new WeakSet<FloatArray>();

/** Counters for tests and the memory benchmark (earlyBoundaries: those past the budget). */
export const memoryStats = { boundaries: 0, earlyBoundaries: 0, budgetGrowths: 0, evictedTensors: 0, evictedBytes: 0, staged: 0 };

function ownsArray(a: FloatArray): boolean {
  return K.owns !== undefined && a instanceof Float32Array && a.length > 0 && K.owns(a);
}

/** @internal Called by the Tensor constructor: storage in wasm memory is step-local until declared persistent. */
export function track(t: Tensor): void {
  const d = t._data;
  if (!ownsArray(d) || persistentArrays.has(d) || t._young) return;
  // Handed out again (the heap reuses a freed view): tensors still viewing it move with this one.
  releasedStorage.delete(d);
  young.push(t);
  t._young = true;
  youngBytes += d.length * 4;
}

/**
 * Declare `t`'s storage persistent: it stays in wasm memory across step boundaries (parameters,
 * buffers, gradients, optimizer state). Every tensor sharing the storage is covered.
 */
export function markPersistent<T extends Tensor>(t: T): T {
  t._persistent = true;
  if (t._data.length > 0) persistentArrays.add(t._data);
  return t;
}

/** @internal Declare storage persistent before a tensor is made over it (gradients). */
export function markArrayPersistent(a: FloatArray): FloatArray {
  if (a.length > 0) persistentArrays.add(a);
  return a;
}

/** @internal Whether `a` is persistent storage (a parameter's, a gradient's, …). */
export function isPersistentArray(a: FloatArray): boolean {
  return persistentArrays.has(a);
}

/**
 * A step boundary: move every young tensor still in wasm memory to a JS array and return its
 * block (see the header). Storage shared by several young tensors (a reshape) is copied once.
 */
export function stepBoundary(): void {
  earlyPending = false;
  if (young.length === 0 && older.length === 0) return;
  memoryStats.boundaries++;
  moveYoung(null);
}

/**
 * The boundary of `zeroGrad()`: tensors made since the previous boundary get one step of grace,
 * only those already young at the previous one move. In the loop
 * `x = tensor(…); opt.zeroGrad(); loss(model.forward(x)).backward(); opt.step()` the batch is
 * then moved once, by `step()`, instead of moved by `zeroGrad()`, copied back in by the forward
 * and moved again; and in PyTorch's other order, `loss = …; opt.zeroGrad(); loss.backward()`, the
 * graph backward is about to use stays in wasm memory. A loop whose only boundary is `zeroGrad()`
 * (a hand-written SGD update) still moves every tensor, one step later.
 */
export function zeroGradBoundary(): void {
  earlyPending = false;
  if (older.length === 0) {
    older = young;
    young = [];
    return;
  }
  // Storage a tensor of this step also views (a reshape, or a subarray, made since) stays with it.
  const ranges: number[][] = [];
  for (const t of young) {
    const d = t._data;
    if (d.length > 0 && ownsArray(d)) ranges.push([d.byteOffset, d.byteOffset + d.byteLength]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: number[][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push(r);
  }
  const overlapsYoung = (d: FloatArray): boolean => {
    const lo = d.byteOffset, hi = d.byteOffset + d.byteLength;
    let a = 0, b = merged.length;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (merged[m][0] < hi) a = m + 1;
      else b = m;
    }
    return a > 0 && merged[a - 1][1] > lo;
  };
  const list = older;
  older = young;
  young = [];
  const moving: Tensor[] = [];
  for (const t of list) {
    if (t._data.length > 0 && ownsArray(t._data) && overlapsYoung(t._data)) older.push(t);
    else moving.push(t);
  }
  youngBytes = 0;
  for (const t of older) if (t._young) youngBytes += t._data.length * 4;
  memoryStats.boundaries++;
  moveList(moving, null);
}

/**
 * Move the young tensors to JS arrays, except those whose storage overlaps `keep`'s (they stay
 * young): a tensor made over a subarray of another's storage (evaluation code slicing its
 * dataset, `new Tensor(x.data.subarray(…))`) keeps the block it lives in.
 */
function moveYoung(keep: FloatArray | null): void {
  const list = older.length === 0 ? young : older.concat(young);
  young = [];
  older = [];
  youngBytes = 0;
  moveList(list, keep);
}

/** Move `list`'s tensors to JS arrays, but those overlapping `keep` (young again; see moveYoung). */
function moveList(list: readonly Tensor[], keep: FloatArray | null): void {
  const keepLo = keep !== null && ownsArray(keep) ? keep.byteOffset : 0;
  const keepHi = keep !== null && ownsArray(keep) ? keep.byteOffset + keep.byteLength : 0;
  let moved: Map<FloatArray, FloatArray> | null = null;
  for (let i = 0; i < list.length; i++) {
    const t = list[i];
    const d = t._data;
    if (d.byteOffset < keepHi && d.byteOffset + d.byteLength > keepLo && d.length > 0 && ownsArray(d)) {
      young.push(t);
      youngBytes += d.length * 4;
      continue;
    }
    t._young = false;
    if (d.length === 0 || t._persistent || persistentArrays.has(d) || releasedStorage.has(d)) continue;
    let copy = moved?.get(d);
    if (copy === undefined) {
      if (!ownsArray(d)) continue;
      // slice() makes an ordinary (unshared) Float32Array with the values.
      copy = d.slice();
      K.free(d);
      (moved ??= new Map()).set(d, copy);
      memoryStats.evictedTensors++;
      memoryStats.evictedBytes += d.length * 4;
    }
    t._data = copy;
    t._evicted = true;
  }
}

/**
 * @internal Storage for `tensor()`'s copy of `n` float32 values from a user's array. Past the
 * young budget the copy would be moved to JS memory at the very next safe point (the
 * `tensor(y)` after `tensor(x)` of a whole dataset): a second copy of the data, and wasm
 * memory's high-water mark raised by its size for good (wasm memory never shrinks). So
 * such a copy starts in JS memory, like a moved tensor (`bornMoved`), and an op that uses it
 * copies it in (`stage`). A DataLoader or fit reading its rows never does: 60,000 MNIST images
 * then cost one copy and no wasm memory.
 */
export function startsMoved(n: number): boolean {
  return K.owns !== undefined && n * 4 > youngBudget;
}

/** @internal Mark a tensor made over JS storage by `tensor()` (startsMoved) as moved: ops stage it. */
export function bornMoved<T extends Tensor>(t: T): T {
  t._evicted = true;
  return t;
}

/** A boundary if the young tensors exceed the budget (the safe points listed in the header). */
export function maybeBoundary(): void {
  if (youngBytes > youngBudget) {
    stepBoundary();
    earlyPending = true;
    memoryStats.earlyBoundaries++;
  }
}

/**
 * @internal The entry of a built-in layer's forward under noGrad (an evaluation): past the
 * budget, a safe point that moves every young tensor but the layer's input (and the tensors
 * sharing its storage) to JS memory. A forward written as a Module subclass (`x = this.bn1.forward(x)`)
 * hands each intermediate to user code, which may keep it (a residual's identity, a feature
 * map): only the garbage collector knows which are dropped, and it sees JS memory, not wasm
 * memory. Moved, each intermediate costs one copy (as at the next boundary before) and the wasm
 * block serves the next layer's output, so a whole test set in one batch fits as in PyTorch
 * (the input stays: the layer is about to read it). With gradients, the graph still needs the
 * activations in wasm memory, so this is no safe point (training is unchanged).
 */
export function layerEntry(input: Tensor): void {
  if (youngBytes <= youngBudget || isGradEnabled()) return;
  memoryStats.boundaries++;
  memoryStats.earlyBoundaries++;
  const evicted = memoryStats.evictedBytes;
  // A layer given something else reports it itself, after this.
  moveYoung((input as Tensor | undefined)?._data ?? null);
  // The copies of intermediates the user's forward already dropped are garbage at once, but the
  // engine collects JS memory when it decides: the benchmark CNN on 20,000 images as a Module
  // subclass peaked at 10 GB RSS (2 GB activations piling up). Where a collector is found (Node;
  // the heap's, GRADLAB_AUTO_GC=0 turns it off) it runs after each MOVED_COLLECT_BYTES moved.
  movedSinceCollect += memoryStats.evictedBytes - evicted;
  const collect = (K as { heap?: { collect: (() => void) | null } }).heap?.collect;
  if (movedSinceCollect >= MOVED_COLLECT_BYTES && collect) {
    movedSinceCollect = 0;
    collect();
  }
}

/** Bytes layerEntry moves to JS memory between two garbage collections it asks for. */
const MOVED_COLLECT_BYTES = 256 * 2 ** 20;
let movedSinceCollect = 0;

/**
 * Storage given back by dispose() and not handed out again since. Another young tensor may still
 * view it (an earlier output that a Flatten reshaped, inside a nested Sequential or a Residual's
 * body, is unreachable but still on the young list): a boundary skips it instead of freeing the
 * block a second time, under whoever holds it by then.
 */
const releasedStorage = new WeakSet<FloatArray>();

/** @internal dispose() returns `t`'s storage: it no longer counts towards the young budget. */
export function untrack(t: Tensor): void {
  if (t._data.length > 0) releasedStorage.add(t._data);
  if (!t._young) return;
  t._young = false;
  youngBytes -= t._data.length * 4;
}

/**
 * @internal backward() found tensors of its graph moved to JS memory. After an early boundary
 * that means one step's tensors outgrew the budget (the boundary came in the middle of the
 * step), and the backward kernels read JS arrays; the budget doubles (up to
 * YOUNG_BUDGET_MAX_BYTES) so that the next step's graph stays in wasm memory. Loops without
 * backward (evaluation) never grow it, and it grows only while steps outgrow it.
 */
export function graphMoved(): void {
  if (!earlyPending) return;
  earlyPending = false;
  if (youngBudget >= YOUNG_BUDGET_MAX_BYTES) return;
  youngBudget = Math.min(YOUNG_BUDGET_MAX_BYTES, youngBudget * 2);
  memoryStats.budgetGrowths++;
}

/**
 * @internal At an op's entry: an evicted float32 tensor is copied back into wasm memory so the
 * fast kernels run on it (it becomes young again, and returns to JS memory at the next boundary).
 */
export function stage(t: Tensor): void {
  if (K.owns === undefined || !(t._data instanceof Float32Array) || t._data.length === 0) return;
  const a = K.alloc(t._data.length, 'float32', false);
  if (!ownsArray(a)) return;
  releasedStorage.delete(a);
  a.set(t._data);
  t._data = a;
  t._evicted = false;
  memoryStats.staged++;
  young.push(t);
  t._young = true;
  youngBytes += a.length * 4;
}

/** Young tensors and their bytes (tests, benchmarks). */
export function youngStats(): { tensors: number; bytes: number } {
  return { tensors: young.length + older.length, bytes: youngBytes };
}

/**
 * Where tensor memory stands: the backend's memory high-water mark and live bytes (wasm), the
 * young tensors waiting for the next boundary, and the boundary counters.
 */
export function memoryInfo(): {
  backend: string;
  reservedBytes: number;
  liveBytes: number;
  youngTensors: number;
  youngBytes: number;
  youngBudgetBytes: number;
  boundaries: number;
  earlyBoundaries: number;
  budgetGrowths: number;
  evictedTensors: number;
  evictedBytes: number;
  staged: number;
} {
  const heap = (K as { heap?: { reservedBytes: number; liveBytes: number } }).heap;
  return {
    backend: K.name,
    reservedBytes: heap?.reservedBytes ?? 0,
    liveBytes: heap?.liveBytes ?? 0,
    youngTensors: young.length + older.length,
    youngBytes,
    youngBudgetBytes: youngBudget,
    ...memoryStats,
  };
}
