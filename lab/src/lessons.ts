/**
 * Guided lessons: data, so the CLI's experiments and the lab can share them. `settings` is a
 * query string in the lab's URL format (state.ts); settings it leaves out take the defaults.
 */
export interface Lesson {
  id: string;
  title: string;
  question: string;
  settings: string;
  lookFor: string;
}

export const LESSONS: readonly Lesson[] = [
  {
    id: 'zero-init',
    title: 'All-zero weights',
    question: 'What happens when every weight starts at zero?',
    settings: 'data=circles&noise=0.05&layers=8:tanh*2&init=zeros&opt=sgd&lr=0.3&batch=16&seed=1',
    lookFor:
      'The loss stays at ln 2 ≈ 0.69 and the boundary never forms: hidden units get zero gradient and stay identical — watch the gradient norms of the hidden layers and the symmetry finding.',
  },
  {
    id: 'deep-sigmoid',
    title: 'Why does a deep sigmoid net stall?',
    question: 'Ten sigmoid layers with the old U(±1/√n) init: why does training crawl?',
    settings: 'data=circles&noise=0.05&layers=16:sigmoid*10&init=standard&opt=sgd&lr=0.5&batch=16&seed=1',
    lookFor:
      'The per-layer gradient norms fall by ~4× per layer toward the input (σ′ ≤ ¼): the first layers get almost nothing, so the loss sits near 0.69. Look for the vanishing-gradients finding.',
  },
  {
    id: 'xavier-depth30',
    title: 'Xavier at depth 30 (ReLU)',
    question: 'Xavier vs He at depth 30 — first, Xavier with ReLU:',
    settings: 'data=spiral&noise=0.1&layers=16:relu*30&init=xavierNormal&opt=sgd&lr=0.05&batch=32&seed=1',
    lookFor:
      'Xavier keeps the variance for symmetric activations, but ReLU zeroes half of it: activation histograms shrink toward 0 layer after layer and the early layers’ gradients vanish. Then run the He lesson.',
  },
  {
    id: 'he-depth30',
    title: 'He at depth 30 (ReLU)',
    question: 'Xavier vs He at depth 30 — now He (Kaiming) init, the one ReLU recommends:',
    settings: 'data=spiral&noise=0.1&layers=16:relu*30&init=kaimingNormal&opt=sgd&lr=0.05&batch=32&seed=1',
    lookFor:
      'With variance 2/fan_in the activations keep their spread through all 30 layers and the gradient-norm bars stay level, so the loss starts falling where Xavier’s stalled.',
  },
  {
    id: 'batchnorm-off',
    title: 'Deep sigmoid without BatchNorm',
    question: 'What does BatchNorm change? First, eight sigmoid layers without it:',
    settings: 'data=moons&noise=0.15&layers=16:sigmoid*8&init=xavierUniform&opt=sgd&lr=0.2&batch=32&seed=2',
    lookFor: 'Note how slowly the loss falls and how the gradient norms shrink toward the input. Then load the next lesson, the same net with BatchNorm.',
  },
  {
    id: 'batchnorm-on',
    title: 'Deep sigmoid with BatchNorm',
    question: 'The same eight sigmoid layers, each Linear followed by BatchNorm:',
    settings: 'data=moons&noise=0.15&layers=16:sigmoid:bn*8&init=xavierUniform&opt=sgd&lr=0.2&batch=32&seed=2',
    lookFor:
      'BatchNorm re-centres every layer’s pre-activations into sigmoid’s steep middle: the histograms stay spread, gradients reach the first layer, and the loss falls much faster.',
  },
  {
    id: 'exploding',
    title: 'A learning rate that explodes',
    question: 'N(0, 1) weights and SGD at learning rate 2 on a six-layer ReLU net: what breaks first?',
    settings: 'data=spiral&noise=0.1&layers=16:relu*6&init=normal&opt=sgd&lr=2&batch=16&seed=1',
    lookFor: 'With N(0, 1) weights and a large step the gradient norm shoots up and the loss becomes NaN: the exploding-gradients / non-finite findings. Try clip=1 or He init.',
  },
  {
    id: 'selu',
    title: 'Self-normalising SELU',
    question: 'SELU with LeCun-normal init at depth 30, no BatchNorm:',
    settings: 'data=spiral&noise=0.1&layers=16:selu*30&init=lecunNormal&opt=adam&lr=0.003&batch=32&seed=1',
    lookFor: 'Activation mean and spread stay near 0 and 1 through all 30 layers without BatchNorm: compare the histograms with the Xavier/ReLU lesson.',
  },
];
