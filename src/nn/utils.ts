/**
 * torch.nn.utils: where PyTorch users reach for clip_grad_norm_ (nn.utils.clipGradNorm_(model.parameters(), 1.0)).
 * The same functions as optim.clipGradNorm / clipGradValue (src/optim/clip.ts), under PyTorch's in-place names too.
 */
export { clipGradNorm, clipGradValue, clipGradNorm as clipGradNorm_, clipGradValue as clipGradValue_ } from '../optim/clip.js';
export { parametersToVector, vectorToParameters } from './vector.js';
