/**
 * Differentiable ops, with PyTorch's arguments in PyTorch's order.
 */
export { add, sub, mul, div, neg } from './arithmetic.js';
export { matmul, linear, linearActivation } from './matmul.js';
export { sum, mean, variance, std, all, any, cumsum, histogram, HistogramResult, type HistogramOptions } from './reduce.js';
export { relu, leakyRelu, prelu, elu, selu, sigmoid, tanh, gelu, silu, softplus, hardtanh, relu6, unary, activation, type GeluApproximate } from './activation.js';
export { softmax, logSoftmax } from './softmax.js';
export { batchNorm } from './batchnorm.js';
export { layerNorm } from './layernorm.js';
export { dropout, dropout2d, alphaDropout, type DropoutKeywords } from './dropout.js';
export { reshape, flatten, transpose, permute, clone } from './view.js';
export { exp, log, log10, pow, sqrt, abs, sin, cos, clamp, where, maskedFill, eq, ne, gt, ge, lt, le, type ClampBounds } from './elementwise.js';
export { max, min, amax, amin, norm, argmax, argmin, logSumExp, topk, ValuesIndices } from './extrema.js';
export { cat, stack, unsqueeze, squeeze, gather, narrow, select, split, chunk, oneHot } from './shape.js';
export { embedding, index, indexSelect } from './embedding.js';
export { conv2d, type Size2d } from './conv.js';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d } from './pool.js';
// torch.nn.functional's losses, where `import { ops as F }` users look for them (loss_func = F.cross_entropy):
// loss.ts's functions under PyTorch's functional names.
export { crossEntropy, nllLoss, mse as mseLoss, l1 as l1Loss, huber as huberLoss, bceWithLogits as binaryCrossEntropyWithLogits, bce as binaryCrossEntropy, smoothL1 as smoothL1Loss, klDiv } from '../loss.js';
