/**
 * The kernel interface: every numeric loop in gradlab goes through one of these
 * functions. Ops and layers never loop over tensor data themselves, so a faster
 * backend (WebAssembly SIMD, threads) replaces the reference loops without
 * touching them.
 *
 * Conventions
 * - Arrays are flat, row-major, and either Float32Array (training) or
 *   Float64Array (gradcheck). A backend that only handles float32 delegates
 *   float64 calls to the reference kernels.
 * - Backward kernels ACCUMULATE into their gradient outputs (`gx[i] += …`):
 *   autograd hands them the gradient buffer of the input, so a tensor used twice
 *   sums its gradients without a temporary. Those on the training hot path take a
 *   β ∈ {0, 1} instead, as GEMM does (`gx ← β·gx + …`; β = 0 ignores gx's contents),
 *   so that a fresh gradient is written once rather than zero-filled and added to
 *   (autograd's GradSink.target says which).
 * - Storage is allocated through `alloc`, so a backend can place tensors in its
 *   own memory (WebAssembly linear memory) and run without copies.
 */

export type FloatArray = Float32Array | Float64Array;
export type DType = 'float32' | 'float64';

/** Elementwise activation kinds implemented by the kernels; see activations.ts for their definitions. */
export type UnaryKind =
  | 'linear'
  | 'relu'
  | 'leakyRelu'
  | 'elu'
  | 'selu'
  | 'sigmoid'
  | 'tanh'
  | 'gelu'
  | 'silu'
  | 'softplus';

/** Elementwise binary arithmetic. */
export type BinaryKind = 'add' | 'sub' | 'mul' | 'div';

/** Pointwise losses ℓ(x, t); see loss.ts. */
export type PointwiseLossKind = 'mse' | 'l1' | 'huber' | 'bceWithLogits';

export interface BatchNormArgs {
  /** Input laid out as [N, C, L] (L = 1 for [N, C]). */
  x: FloatArray;
  n: number;
  c: number;
  l: number;
  weight: FloatArray | null;
  bias: FloatArray | null;
  runningMean: FloatArray | null;
  runningVar: FloatArray | null;
  training: boolean;
  momentum: number;
  eps: number;
  /** Outputs: y, and per-channel mean and 1/√(σ²+ε) saved for backward. */
  y: FloatArray;
  saveMean: FloatArray;
  saveInvStd: FloatArray;
}

export interface BatchNormBackwardArgs {
  x: FloatArray;
  gy: FloatArray;
  n: number;
  c: number;
  l: number;
  weight: FloatArray | null;
  saveMean: FloatArray;
  saveInvStd: FloatArray;
  training: boolean;
  /** Accumulated into when non-null (or written, with gxBeta = 0). */
  gx: FloatArray | null;
  /** 0: write gx, ignoring its contents (a fresh gradient, see GradSink.target); 1 (default): accumulate. */
  gxBeta?: 0 | 1;
  gWeight: FloatArray | null;
  gBias: FloatArray | null;
}

/**
 * The geometry of a 2-D sliding window over one [h, w] plane (convolution, pooling): kernel
 * kh×kw, stride sh/sw, padding before (top/left) ph/pw, dilation dh/dw, output oh×ow. Output
 * position (y, x) reads input rows y·sh − ph + i·dh and columns x·sw − pw + j·dw for
 * i < kh, j < kw; positions outside the plane are padding (zeros for convolution).
 */
export interface Window2d {
  h: number;
  w: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
  oh: number;
  ow: number;
}

/** The largest K = c·kh·kw that smallConv computes directly (a first layer: 3 planes of 3×3 is 27). */
export const SMALL_CONV_K = 32;

/**
 * A convolution (one group) with few taps per output, K = c·kh·kw ≤ SMALL_CONV_K, stride 1 and
 * dilation 1: a backend may compute its forward and ∂W directly (a shifted load per tap)
 * instead of by im2col + GEMM, whose K-row products are slow and memory-bound for small K.
 */
export function smallConv(c: number, g: Window2d): boolean {
  return c * g.kh * g.kw <= SMALL_CONV_K && g.sh === 1 && g.sw === 1 && g.dh === 1 && g.dw === 1;
}

export interface AdamArgs {
  param: FloatArray;
  grad: FloatArray;
  m: FloatArray;
  v: FloatArray;
  /** amsgrad's running maximum of v, or null. */
  vMax: FloatArray | null;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** L2 penalty added to the gradient (Adam). */
  weightDecay: number;
  /** Decoupled decay p ← p(1 − lr·λ) (AdamW). */
  decoupledWeightDecay: number;
  /** Step count t ≥ 1 after this update. */
  step: number;
}

export interface SgdArgs {
  param: FloatArray;
  grad: FloatArray;
  /** Momentum buffer or null when momentum = 0. */
  buf: FloatArray | null;
  /** True on the first step: buf ← d_p instead of the momentum update. */
  firstStep: boolean;
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

export interface RmspropArgs {
  param: FloatArray;
  grad: FloatArray;
  squareAvg: FloatArray;
  gradAvg: FloatArray | null;
  momentumBuf: FloatArray | null;
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
}

export interface Kernels {
  readonly name: string;
  /**
   * Where the wasm backend's matrix products run: 'native-avx512' or 'native-avx2' (Node, with
   * the addon built by `npm run build`; the same numbers bit for bit) or 'wasm'. Absent in the
   * reference backend.
   */
  readonly gemmKernel?: 'native-avx512' | 'native-avx2' | 'wasm';
  /** Backends with their own memory: is `a` stored there? (src/memory.ts moves step-local storage out of it.) */
  owns?(a: FloatArray): boolean;

  /**
   * Storage for `n` elements, zero-filled; with `zero` false its contents are unspecified (for
   * outputs a kernel writes in full before anything reads them: spares a pass over memory).
   */
  alloc(n: number, dtype: DType, zero?: boolean): FloatArray;
  /** Hand storage back (optional for a backend; a no-op in the reference one). */
  free(a: FloatArray): void;

  /**
   * General matrix multiply, C ← α·op(A)·op(B) + β·C, with op(X) = X or Xᵀ.
   * op(A) is M×K, op(B) is K×N, C is M×N, all row-major and contiguous.
   * β = 0 ignores C's previous contents (NaN included), as in BLAS.
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: FloatArray,
    b: FloatArray,
    beta: number,
    c: FloatArray,
  ): void;

  /** Fill with a constant. */
  fill(a: FloatArray, value: number): void;
  /** dst ← src (same length). */
  copy(src: FloatArray, dst: FloatArray): void;
  /** y ← y + α·x. */
  axpy(alpha: number, x: FloatArray, y: FloatArray): void;
  /** x ← α·x. */
  scale(x: FloatArray, alpha: number): void;

  /**
   * out = a ∘ b with NumPy broadcasting. `aStrides`/`bStrides` are the strides of a and b
   * expressed in the output's rank (0 on broadcast dimensions).
   */
  binary(
    kind: BinaryKind,
    a: FloatArray,
    aStrides: readonly number[],
    b: FloatArray,
    bStrides: readonly number[],
    out: FloatArray,
    outShape: readonly number[],
  ): void;

  /**
   * Backward of `binary` with respect to input `wrt`: g_in[j] += Σ_{i ↦ j} g_out[i]·∂(a∘b)/∂in at i,
   * summing over the dimensions that input was broadcast along (its strides there are 0).
   */
  binaryBackward(
    kind: BinaryKind,
    wrt: 0 | 1,
    gOut: FloatArray,
    outShape: readonly number[],
    a: FloatArray,
    aStrides: readonly number[],
    b: FloatArray,
    bStrides: readonly number[],
    gIn: FloatArray,
  ): void;

  /** y = f(x) for an elementwise activation with parameter p (slope, alpha…). */
  unary(kind: UnaryKind, p: number, x: FloatArray, y: FloatArray): void;
  /**
   * gx ← β·gx + f′(x)·gy, the derivative taken from x and/or y as the activation prefers;
   * β ∈ {0, 1}, and β = 0 ignores gx's contents (NaN included).
   */
  unaryBackward(kind: UnaryKind, p: number, x: FloatArray, y: FloatArray, gy: FloatArray, gx: FloatArray, beta: 0 | 1): void;

  /** y = x + bias over rows (x is [rows, cols], bias is [cols]), then activation; y may alias x. */
  biasActivation(kind: UnaryKind, p: number, x: FloatArray, bias: FloatArray | null, rows: number, cols: number, y: FloatArray): void;
  /**
   * Backward of biasActivation, for an activation whose f′ is a function of y alone (registry
   * `derivativeFromOutput`): gz = f′(y)·gy and, when gBias is given, gBias = Σ_rows gz (summed
   * in float64 as sumAxis). Both written, not accumulated; gz may alias gy.
   */
  biasActivationBackward(kind: UnaryKind, p: number, y: FloatArray, gy: FloatArray, rows: number, cols: number, gz: FloatArray, gBias: FloatArray | null): void;

  /** Sum over the middle axis of a [outer, n, inner] layout: out[o, i] = Σ_j x[o, j, i]. */
  sumAxis(x: FloatArray, outer: number, n: number, inner: number, out: FloatArray): void;
  /** gx[o, j, i] += g[o, i] · scale (the backward of sumAxis/mean). */
  broadcastAxis(g: FloatArray, outer: number, n: number, inner: number, scale: number, gx: FloatArray): void;

  /** Softmax (log = false) or log-softmax over the middle axis of [outer, n, inner]. */
  softmax(x: FloatArray, outer: number, n: number, inner: number, log: boolean, y: FloatArray): void;
  /** gx += J_softmaxᵀ·gy, from the saved output y. */
  softmaxBackward(y: FloatArray, gy: FloatArray, outer: number, n: number, inner: number, log: boolean, gx: FloatArray): void;

  /**
   * Cross-entropy of logits [n, c] against integer labels, fused with log-softmax.
   * Writes per-row losses −log softmax(x)_{y} into `losses` and, if `probs` is given,
   * the softmax probabilities (saved for backward).
   */
  crossEntropy(logits: FloatArray, labels: Int32Array, n: number, c: number, losses: FloatArray, probs: FloatArray | null): void;
  /** gx[r, k] += g_r·(p_{r,k} − [k = y_r]). */
  crossEntropyBackward(probs: FloatArray, labels: Int32Array, n: number, c: number, gRow: FloatArray, gx: FloatArray): void;

  /** Per-element loss ℓ(x_i, t_i) into `out`. */
  pointwiseLoss(kind: PointwiseLossKind, p: number, x: FloatArray, t: FloatArray, out: FloatArray): void;
  /** gx += g_i·∂ℓ/∂x_i and gt += g_i·∂ℓ/∂t_i (either may be null); g has length 1 (broadcast) or n. */
  pointwiseLossBackward(
    kind: PointwiseLossKind,
    p: number,
    x: FloatArray,
    t: FloatArray,
    g: FloatArray,
    gx: FloatArray | null,
    gt: FloatArray | null,
  ): void;

  batchNorm(args: BatchNormArgs): void;
  batchNormBackward(args: BatchNormBackwardArgs): void;

  /**
   * im2col (Chellapilla et al. 2006): the patches of c planes [c, h, w] as the columns of
   * col [c·kh·kw, oh·ow] (row (ci·kh + i)·kw + j, column y·ow + x), zeros where the window
   * reads padding, so that a convolution is one GEMM weight [o, c·kh·kw] · col. `ld` (default
   * oh·ow) is col's row stride, so that several samples' patches sit side by side in one matrix.
   */
  im2col(x: FloatArray, c: number, g: Window2d, col: FloatArray, ld?: number): void;
  /** The adjoint of im2col: gx[ci, row, col] += every col entry that im2col copied from there. */
  col2im(col: FloatArray, c: number, g: Window2d, gx: FloatArray, ld?: number): void;
  /**
   * A one-group convolution as per-sample products over n samples of x [n, c, h, w], fused so
   * that a backend can hand whole samples to its threads: y_j [o, l] = bias + W · im2col(x_j)
   * (l = oh·ow, W [o, c·kh·kw]).
   */
  convForward(x: FloatArray, n: number, c: number, g: Window2d, w: FloatArray, o: number, bias: FloatArray | null, y: FloatArray): void;
  /**
   * Its input gradient: gx_j = β·gx_j + col2im(Wᵀ · ∂y_j) for each sample, β ∈ {0, 1} (β = 0
   * clears each sample's gx_j just before its col2im, while in cache, instead of a pass over gx).
   */
  convBackwardData(gy: FloatArray, n: number, c: number, g: Window2d, w: FloatArray, o: number, gx: FloatArray, beta: 0 | 1): void;
  /**
   * Its weight gradient: gw = β·gw + Σ_j ∂y_j · im2col(x_j)ᵀ, β ∈ {0, 1}; and, when gb is given,
   * the bias gradient in the same pass over ∂y: gb = β_b·gb + Σ_{j, y, x} ∂y_j[·, y, x].
   */
  convBackwardWeight(gy: FloatArray, x: FloatArray, n: number, c: number, g: Window2d, o: number, gw: FloatArray, beta: number, gb: FloatArray | null, gbBeta: 0 | 1): void;
  /**
   * Max pooling over `planes` planes [h, w] (padding never wins: it is −∞); writes y
   * [planes, oh, ow] and, per output, the index within its plane of the maximum (the first
   * in row-major window order on ties, a NaN when there is one, as PyTorch).
   */
  maxPool2d(x: FloatArray, planes: number, g: Window2d, y: FloatArray, indices: Int32Array): void;
  /** gx[plane, indices[o]] += gy[o], into gx·β, β ∈ {0, 1} (β = 0 clears each plane just before its own scatter). */
  maxPool2dBackward(gy: FloatArray, indices: Int32Array, planes: number, g: Window2d, gx: FloatArray, beta: 0 | 1): void;
  /** Average pooling over `planes` planes; the divisor is kh·kw, padding counted (PyTorch's count_include_pad). */
  avgPool2d(x: FloatArray, planes: number, g: Window2d, y: FloatArray): void;
  /** gx += the adjoint of avgPool2d applied to gy. */
  avgPool2dBackward(gy: FloatArray, planes: number, g: Window2d, gx: FloatArray): void;
  /**
   * Adaptive average pooling of planes [h, w] to [oh, ow]: output (y, x) averages rows
   * ⌊y·h/oh⌋ … ⌈(y+1)·h/oh⌉ − 1 and columns likewise (PyTorch's windows).
   */
  adaptiveAvgPool2d(x: FloatArray, planes: number, h: number, w: number, oh: number, ow: number, y: FloatArray): void;
  adaptiveAvgPool2dBackward(gy: FloatArray, planes: number, h: number, w: number, oh: number, ow: number, gx: FloatArray): void;

  /** PReLU with per-channel slopes over [outer, c, inner] (c = 1 shares one slope). */
  prelu(x: FloatArray, w: FloatArray, outer: number, c: number, inner: number, y: FloatArray): void;
  preluBackward(
    x: FloatArray,
    w: FloatArray,
    gy: FloatArray,
    outer: number,
    c: number,
    inner: number,
    gx: FloatArray | null,
    gw: FloatArray | null,
  ): void;

  /** y = x·mask·scale (mask holds 0/1); backward calls it on the gradient and accumulates with axpy. */
  maskScale(x: FloatArray, mask: FloatArray, scale: number, y: FloatArray): void;
  /** y = a·(x·mask + α′·(1 − mask)) + b: AlphaDropout's affine-corrected dropout. */
  alphaDropout(x: FloatArray, mask: FloatArray, alphaPrime: number, a: number, b: number, y: FloatArray): void;

  /** Sum of squares in float64 (gradient norms, statistics). */
  sumSquares(x: FloatArray): number;
  /** Σx and Σx² in one pass, for monitors. */
  moments(x: FloatArray): { sum: number; sumSq: number };
  /** True when every element is finite. */
  allFinite(x: FloatArray): boolean;
  /** Clamp each element to [−clip, clip]. */
  clampInPlace(x: FloatArray, clip: number): void;

  sgdStep(args: SgdArgs): void;
  adamStep(args: AdamArgs): void;
  rmspropStep(args: RmspropArgs): void;
  /**
   * The updates of several parameters in one call, each exactly its single-tensor kernel's (on
   * the wasm backend one round of the thread pool for all of them instead of one per parameter).
   * Where `save[j]` is an array, parameter j's values are copied into it before its update and
   * its updated values are checked in the same pass (TrainStep's rollback copy and non-finite
   * check); returns false when one of those is not finite.
   */
  sgdSteps(args: readonly SgdArgs[], save: readonly (FloatArray | null)[]): boolean;
  adamSteps(args: readonly AdamArgs[], save: readonly (FloatArray | null)[]): boolean;
  rmspropSteps(args: readonly RmspropArgs[], save: readonly (FloatArray | null)[]): boolean;
}
