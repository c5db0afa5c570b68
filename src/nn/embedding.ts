/**
 * A lookup table of learned vectors, as torch.nn.Embedding(numEmbeddings, embeddingDim,
 * padding_idx): forward(indices) is ops.embedding (rows of `weight` for an input of class indices
 * of any shape). Initialised N(0, 1) as PyTorch, with the paddingIdx row zero (and kept from
 * learning: it gets no gradient).
 */
import { embedding, embeddingPaddingIdx } from '../ops/embedding.js';
import { normal } from '../init.js';
import { checkOptions } from '../options.js';
import { Tensor, formatShape, showValue, zeros } from '../tensor.js';
import { Module, Parameter } from './module.js';

export interface EmbeddingOptions {
  /** The row that gets no gradient and starts at zero (PyTorch's padding_idx); negative from the end. */
  paddingIdx?: number | null;
}

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  weight: Parameter;

  /** `new nn.Embedding(10, 3)`, `new nn.Embedding(10, 3, 0)` (padding_idx positionally) or `{paddingIdx: 0}`. */
  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions | number | null = {}) {
    super();
    for (const [k, v] of [['numEmbeddings', numEmbeddings], ['embeddingDim', embeddingDim]] as const) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`Embedding: ${k} must be an integer ≥ 1, got ${showValue(v)}`);
    }
    const o: EmbeddingOptions = typeof options === 'number' || options === null ? { paddingIdx: options } : options;
    checkOptions('Embedding', o, ['paddingIdx']);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = embeddingPaddingIdx('Embedding', o.paddingIdx, numEmbeddings);
    this.weight = new Parameter(zeros(numEmbeddings, embeddingDim));
    normal(this.weight, 0, 1);
    if (this.paddingIdx !== null) this.weight.data.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
  }

  /**
   * An Embedding holding a copy of `embeddings` [numEmbeddings, embeddingDim], frozen unless
   * `freeze: false` (torch.nn.Embedding.from_pretrained).
   */
  static fromPretrained(embeddings: Tensor, options: { freeze?: boolean; paddingIdx?: number | null } = {}): Embedding {
    if (!(embeddings instanceof Tensor) || embeddings.ndim !== 2) {
      throw new Error(`Embedding.fromPretrained: embeddings must be a matrix Tensor [numEmbeddings, embeddingDim], got ${embeddings instanceof Tensor ? `shape ${formatShape(embeddings.shape)}` : showValue(embeddings)}`);
    }
    checkOptions('Embedding.fromPretrained', options, ['freeze', 'paddingIdx']);
    const e = new Embedding(embeddings.shape[0], embeddings.shape[1], { paddingIdx: options.paddingIdx ?? null });
    e.weight.data.set(embeddings.data);
    e.weight.requiresGrad = !(options.freeze ?? true);
    return e;
  }

  override get typeName(): string {
    return 'Embedding';
  }

  forward(input: Tensor): Tensor {
    return embedding(input, this.weight, this.paddingIdx);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === null ? '' : `, paddingIdx=${this.paddingIdx}`}`;
  }
}
