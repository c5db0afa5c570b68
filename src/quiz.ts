/**
 * "Check your understanding": multiple-choice questions on why networks learn or fail, each
 * answered by a run the student can watch. One list, read by the web lab's quiz panel and its
 * scripting interface (`window.lab.quiz()`, lab/src/quiz.ts) and by each experiment's HTML page
 * (src/report/experiment.ts), so the wording lives here once. Browser-safe: plain data.
 *
 * `lesson` names the lab lesson (lab/src/lessons.ts) whose self-checking run demonstrates the
 * answer; `experiments` the experiments (src/experiments/) whose pages end with the question.
 * test/quiz.test.ts checks both against their registries.
 */

export interface QuizQuestion {
  /** Stable id: the lab's shareable `#quiz=<id>` and the key of the saved progress. */
  id: string;
  topic: string;
  question: string;
  options: string[];
  /** Index of the right option. */
  answer: number;
  /** Why the right option is right, in two or three sentences, pointing at what the run shows. */
  explanation: string;
  /** The lab lesson whose run demonstrates the answer. */
  lesson: string;
  /** Experiments (registry names) whose pages end with this question. */
  experiments: string[];
}

export const QUIZ: readonly QuizQuestion[] = [
  {
    id: 'init-matters',
    topic: 'Why initialization matters',
    question:
      'Two copies of the same 30-layer ReLU network see the same data, optimizer and learning rate; only the scale of their random initial weights differs. Why can one of them stay at chance while the other learns?',
    options: [
      'The initial scale sets how much each layer multiplies the signal’s variance; any factor other than 1 compounds over 30 layers, so activations and gradients become vanishingly small (or huge) and training cannot get going.',
      'It cannot: initial values only matter for the first few steps, and any initialization reaches the same result given enough epochs.',
      'Smaller initial weights always train faster, so the copy with the larger scale is simply slower.',
      'The initial weights decide which learning rate the optimizer uses.',
    ],
    answer: 0,
    explanation:
      'A layer multiplies the activations’ variance by fan_in·Var(W) times a factor of its activation (½ for ReLU). With Xavier’s Var(W) ≈ 1/fan_in that is ½ per ReLU layer, so after 30 layers the spread is a tiny fraction of the input’s and so is the gradient. The lesson shows that net at chance through its first 1,200 steps (left running it may start learning much later); the He lesson trains the same net past 90% by step 1,000 with only the initial scale changed.',
    lesson: 'xavier-depth30',
    experiments: ['he-2015', 'glorot-bengio-2010', 'activation-init-shootout'],
  },
  {
    id: 'zero-init',
    topic: 'Zero initialization and symmetry',
    question: 'Every weight and bias of a small tanh network starts at exactly zero. What happens when you train it?',
    options: [
      'Training proceeds normally, only a little slower at first because the gradients start small.',
      'The hidden units all compute the same value and receive the same (here zero) gradient, so they stay identical and the loss stays at chance, ln 2.',
      'The random order of the mini-batches breaks the symmetry after a few steps.',
      'The loss becomes NaN at once because of a division by zero.',
    ],
    answer: 1,
    explanation:
      'With zero weights every hidden unit outputs tanh(0) = 0, so the gradient of each outgoing weight (output error × that 0) is zero, and so is the error sent back to the units. Units that start identical get identical updates and stay identical; every unit sees the same batch, so batch noise cannot separate them. The lesson reports the symmetry finding with the loss at ln 2.',
    lesson: 'zero-init',
    experiments: ['zero-init'],
  },
  {
    id: 'constant-init',
    topic: 'Constant initialization and symmetry',
    question: 'To avoid zero gradients, every weight instead starts at the same non-zero constant, 0.1 (biases at zero). Does that fix the problem?',
    options: [
      'Yes: any non-zero start gives non-zero gradients, so the units learn different features.',
      'Yes, provided the learning rate is large enough to push the units apart.',
      'No: units with the same incoming and outgoing weights compute the same output and get the same gradient, so they stay copies of each other and the layer acts like a single unit.',
      'Only the biases must be random; equal weights are harmless.',
    ],
    answer: 2,
    explanation:
      'The gradients are now non-zero but equal for every unit of a layer, so each update keeps the units identical: 8 units do the work of 1, too few to draw a circle. Random initial values are what break the symmetry. The lesson reports the symmetry finding and a test accuracy far from what 8 independent units reach.',
    lesson: 'constant-init',
    experiments: ['zero-init'],
  },
  {
    id: 'xavier',
    topic: 'Xavier/Glorot initialization',
    question: 'Xavier (Glorot) initialization draws weights with Var(W) = 2 / (fan_in + fan_out). What does it aim to keep the same from layer to layer, and under which assumption?',
    options: [
      'The mean of the weights, so that it stays exactly zero during training.',
      'The fraction of active units, assuming ReLU activations.',
      'The learning rate of every layer, assuming plain SGD.',
      'The variance of the activations going forward and of the gradients going backward, assuming an activation that is symmetric and close to linear around 0, such as tanh.',
    ],
    answer: 3,
    explanation:
      'Forward, Var(out) = fan_in·Var(W)·Var(in) is unchanged when Var(W) = 1/fan_in; backward the same holds with fan_out; Glorot and Bengio took the average of the two. The derivation assumes a slope of 1 at 0 and a symmetric activation. ReLU breaks it by zeroing half the variance in every layer: in the lesson the 30th layer’s spread falls below 1/1000 of the first’s.',
    lesson: 'xavier-depth30',
    experiments: ['glorot-bengio-2010', 'he-2015'],
  },
  {
    id: 'he-relu',
    topic: 'He initialization and ReLU',
    question: 'He (Kaiming) initialization uses Var(W) = 2 / fan_in, twice LeCun’s 1 / fan_in. What is the factor 2 for?',
    options: [
      'ReLU sets about half of its inputs to zero, halving the signal’s second moment; doubling the weights’ variance compensates, so the variance stays constant through any number of ReLU layers.',
      'It makes training twice as fast at the same learning rate.',
      'It compensates for the bias, which doubles every unit’s variance.',
      'It is meant for sigmoid networks, whose outputs are always positive.',
    ],
    answer: 0,
    explanation:
      'For a symmetric input x, E[ReLU(x)²] = ½·Var(x), so each ReLU layer multiplies the second moment by ½·fan_in·Var(W); Var(W) = 2/fan_in makes that factor exactly 1 at any depth. The lesson trains the same 30-layer ReLU net that stayed at chance with Xavier (through its first 1,200 steps) to over 90% test accuracy; its last layer starts with more than 1/1000 of the first layer’s spread, where Xavier’s fell below 1/1000.',
    lesson: 'he-depth30',
    experiments: ['he-2015', 'activation-init-shootout'],
  },
  {
    id: 'lecun-selu',
    topic: 'LeCun initialization and SELU',
    question: 'SELU networks are called self-normalizing. Which initialization do they need, and what does it buy?',
    options: [
      'He normal, because SELU is a rectifier like ReLU.',
      'LeCun normal (Var(W) = 1 / fan_in): with it each SELU layer pulls its activations toward mean 0 and variance 1, so a deep network stays normalized without BatchNorm.',
      'All-zero weights, because SELU’s negative branch breaks the symmetry.',
      'Any initialization: SELU normalizes every batch, as BatchNorm does.',
    ],
    answer: 1,
    explanation:
      'SELU’s constants λ ≈ 1.0507 and α ≈ 1.6733 make (mean 0, variance 1) a stable fixed point of a layer whose weights have mean 0 and variance 1/fan_in — LeCun normal. Nothing is computed per batch; the fixed point does the normalizing. In the lesson all 30 SELU layers keep |mean| < 2 and σ between 0.25 and 5 while the net trains through its first 5,000 steps, where ReLU at that depth shrinks its spread a thousandfold; training then moves the weights away from the LeCun-normal draw.',
    lesson: 'selu',
    experiments: ['klambauer-2017', 'activation-init-shootout'],
  },
  {
    id: 'vanishing-what',
    topic: 'The vanishing-gradient problem',
    question: 'What is the vanishing-gradient problem?',
    options: [
      'The gradient becomes exactly zero once the loss reaches its minimum.',
      'The learning-rate schedule decays the step to zero by the end of training.',
      'On its way back from the loss the gradient is multiplied by a factor below 1 at every layer, so the layers near the input receive almost no gradient and barely learn.',
      'The output layer’s gradient disappears because the softmax sums to one.',
    ],
    answer: 2,
    explanation:
      'Backpropagation multiplies the gradient by each layer’s Jacobian: the weights times the activation’s derivative. When those factors are below 1 the product decays geometrically with depth. In the lesson the first layer’s RMS gradient is below 1/100 of the last layer’s and the loss stays near ln 2.',
    lesson: 'deep-sigmoid',
    experiments: ['vanishing-gradients', 'glorot-bengio-2010'],
  },
  {
    id: 'vanishing-cause',
    topic: 'Causes of vanishing gradients: saturation and depth',
    question: 'Why are deep stacks of sigmoid (or tanh) layers especially prone to vanishing gradients?',
    options: [
      'Sigmoid outputs can be negative, so gradients of opposite signs cancel.',
      'Sigmoid is not differentiable at 0.',
      'Sigmoid networks have fewer parameters than ReLU networks of the same width.',
      'Sigmoid’s slope is at most ¼ and close to 0 wherever the unit saturates (large |x|); every layer multiplies the gradient by such a factor, and depth multiplies the factors together.',
    ],
    answer: 3,
    explanation:
      'σ′(x) = σ(x)(1 − σ(x)) peaks at ¼ at x = 0 and falls toward 0 in the flat tails (tanh’s slope peaks at 1 but vanishes in its tails too). Eight layers multiply by at most 4⁻⁸ ≈ 1.5·10⁻⁵ through the activations alone. In the lesson eight sigmoid layers without BatchNorm stay at chance with the vanishing-gradients finding.',
    lesson: 'batchnorm-off',
    experiments: ['vanishing-gradients', 'glorot-bengio-2010', 'ioffe-szegedy-2015'],
  },
  {
    id: 'exploding-symptom',
    topic: 'Exploding gradients and their symptom',
    question: 'Which symptom points to exploding gradients?',
    options: [
      'The loss suddenly jumps by orders of magnitude or turns into NaN/Inf after some steps, while the gradient norm grows huge.',
      'The training loss keeps falling while the test loss rises.',
      'The loss stays flat at the chance level from the first step on.',
      'Many ReLU units output zero for every input.',
    ],
    answer: 0,
    explanation:
      'When every layer multiplies the gradient by more than 1 its norm grows geometrically with depth; a step of lr times a huge gradient throws the weights far off, the loss jumps, and the numbers soon overflow to Inf and NaN. In the lesson N(0, 1) weights and lr 2 stop training on a non-finite loss, reported once by the health check.',
    lesson: 'exploding',
    experiments: ['exploding-gradients'],
  },
  {
    id: 'clipping',
    topic: 'Remedies: gradient clipping',
    question: 'What does clipping the gradient norm at 1 do?',
    options: [
      'It sets every gradient component larger than 1 to zero.',
      'Whenever the norm of the whole gradient ‖g‖ exceeds 1, it rescales g to norm 1 in the same direction, so no single step can be huge; smaller gradients pass unchanged.',
      'It clips every weight into [−1, 1] after the step.',
      'It divides every gradient by its norm, at every step.',
    ],
    answer: 1,
    explanation:
      'clipGradNorm computes ‖g‖ over all parameters and multiplies g by min(1, c/‖g‖): the direction is kept, only the length is capped. In the lesson the same N(0, 1) network that blew up at lr 2 learns the spiral with the norm clipped at 1 and a tenfold smaller step, without a single non-finite step (on a few seeds the first steps still kill a whole ReLU layer: clipping caps a step’s length, not where it lands).',
    lesson: 'clipping',
    experiments: ['exploding-gradients'],
  },
  {
    id: 'remedies',
    topic: 'Remedies: ReLU family, BatchNorm, Adam, clipping',
    question: 'Which of these is NOT a remedy for vanishing or exploding gradients?',
    options: [
      'ReLU-family activations, whose slope is 1 wherever the unit is active.',
      'Batch normalization after each linear layer.',
      'Adam, which scales each parameter’s step by the running size of its own gradient, or gradient clipping.',
      'Adding more sigmoid layers, so the gradient has more paths to flow through.',
    ],
    answer: 3,
    explanation:
      'More saturating layers make the product of small factors longer. ReLU’s slope is 1 where active; BatchNorm keeps each pre-activation centred and scaled where the activation is steep; Adam divides by the gradient’s running RMS, so small gradients still give useful steps; clipping caps exploding ones. In the lesson BatchNorm takes the 8-layer sigmoid network that stayed at chance to over 90%.',
    lesson: 'batchnorm-on',
    experiments: ['ioffe-szegedy-2015', 'vanishing-gradients', 'optimizers', 'exploding-gradients'],
  },
  {
    id: 'dying-relu',
    topic: 'Dying ReLU',
    question: 'A ReLU network trained with a large learning rate stops improving, and many of its hidden units output 0 for every input. What happened?',
    options: [
      'The units saturated at their maximum value, as sigmoid units do.',
      'The gradients exploded and became NaN.',
      'Large updates pushed those units’ pre-activations below zero for every input; there ReLU’s slope is 0, so they receive no gradient and cannot recover: they died.',
      'Weight decay pruned the units.',
    ],
    answer: 2,
    explanation:
      'ReLU(x) = max(0, x) has slope 0 for x < 0. A unit whose pre-activation is negative on every input outputs 0 and gets no gradient for its incoming weights, so nothing moves it back. In the lesson an Adam step three times the lab’s default leaves half the units or more of at least one layer dead: the health check’s dead-units finding.',
    lesson: 'dying-relu',
    experiments: ['dying-relu'],
  },
  {
    id: 'leaky-relu',
    topic: 'Leaky ReLU and PReLU',
    question: 'How do Leaky ReLU and PReLU keep units from dying?',
    options: [
      'They give negative inputs a small non-zero slope (fixed, e.g. 0.01, in Leaky ReLU; learned in PReLU), so a unit pushed into the negative region still gets gradient and can come back.',
      'They cap the output at 6 so a unit cannot explode.',
      'They re-initialize dead units with random weights.',
      'They normalize every unit’s input over the batch, as BatchNorm does.',
    ],
    answer: 0,
    explanation:
      'LeakyReLU(x) = x for x > 0 and a·x otherwise; with a > 0 the slope is never 0, so every unit keeps receiving gradient. PReLU learns a by gradient descent (He et al. 2015). In the lesson the network of the dying-ReLU lesson, with Leaky ReLU and the same large step, learns the task (its accuracy swings at that step, but no unit dies).',
    lesson: 'leaky-relu',
    experiments: ['dying-relu'],
  },
  {
    id: 'batchnorm-computes',
    topic: 'What BatchNorm computes',
    question: 'During training, what does a BatchNorm layer compute for each feature?',
    options: [
      'It divides each weight by the norm of its row.',
      'It subtracts the mini-batch mean, divides by the square root of the mini-batch variance plus ε, then multiplies by a learned γ and adds a learned β.',
      'It subtracts the mean of the whole training set, computed once before training.',
      'It clips each activation into [−1, 1].',
    ],
    answer: 1,
    explanation:
      'x̂ = (x − μ_B) / √(σ²_B + ε), then y = γ·x̂ + β, per feature over the batch. γ and β start at 1 and 0, so at first every output has mean 0 and standard deviation 1 whatever the Linear layer before it produced; later its mean square over the batch is mean(γ² + β²) — which the lesson checks in every BatchNorm layer against the learned γ and β.',
    lesson: 'batchnorm-stats',
    experiments: ['ioffe-szegedy-2015', 'ioffe-szegedy-2015-conv'],
  },
  {
    id: 'batchnorm-inference',
    topic: 'BatchNorm at inference: running statistics',
    question: 'At inference (after model.eval()), which mean and variance does BatchNorm normalize with?',
    options: [
      'The mean and variance of the test batch being predicted.',
      'None: BatchNorm is removed from the network at inference.',
      'Running averages of the batch means and variances collected during training, so a prediction does not depend on the other examples in the batch.',
      'The statistics of the first training batch, stored at the first step.',
    ],
    answer: 2,
    explanation:
      'Each training step updates running_mean ← 0.9·running_mean + 0.1·μ_B (PyTorch’s momentum 0.1; the variance likewise, unbiased), and eval() makes the layer use those fixed values, with the learned γ and β. The lab measures test accuracy in eval mode, so the over-90% test accuracy in the lesson is computed with the running statistics.',
    lesson: 'batchnorm-on',
    experiments: ['ioffe-szegedy-2015', 'ioffe-szegedy-2015-conv'],
  },
  {
    id: 'residual-degradation',
    topic: 'Residual connections and the degradation problem',
    question:
      'A 20-layer plain conv net (3×3 convolutions, each followed by BatchNorm and ReLU, He init) ends with a higher training loss than an 8-layer one trained the same way. What is going on, and what fixes it?',
    options: [
      'Overfitting: the deeper net has more parameters, so it needs dropout or weight decay.',
      'Nothing can: every layer adds noise, so a deeper net always has a higher training loss.',
      'An optimisation difficulty (the degradation problem): the extra layers could copy their input and match the shallow net, but SGD does not find that through stacks of nonlinear layers; identity shortcuts (residual blocks, y = F(x) + x) fix it.',
      'Vanishing gradients from saturating units: replace ReLU with sigmoid.',
    ],
    answer: 2,
    explanation:
      'Overfitting would give a lower training loss and a worse test loss; here the training loss itself is higher, and BatchNorm with He init keeps the signal and the gradients well scaled, so it is not vanishing gradients either. A deeper net can represent the shallower one (extra layers as the identity), so its higher training loss is a failure of optimisation; with shortcuts each block only learns a residual around the identity. The experiment he-2016-residual measures both: the 20-layer plain net ends 1.4–2× above the 8-layer one in training loss, the 20-layer residual net level with it or below (and at 32 layers, below it). The lesson trains a 30-layer plain ReLU net: depth alone does not stop training when the init is right; it slows it (no lab lesson has shortcuts yet).',
    lesson: 'he-depth30',
    experiments: ['he-2016-residual'],
  },
  {
    id: 'overfitting',
    topic: 'Overfitting and generalization',
    question: 'A large network on a small, noisy training set reaches 100% training accuracy while the test accuracy stays far lower and the test loss rises. What is this, and what helps?',
    options: [
      'Overfitting: the network memorized the noise of its few training examples and does not generalize; more data, a smaller network, dropout, weight decay or early stopping help.',
      'Underfitting: the network needs more layers.',
      'Vanishing gradients: switch to ReLU.',
      'A bug: for a correct model training and test accuracy always match.',
    ],
    answer: 0,
    explanation:
      'Generalization is performance on data the model has not seen. With capacity to spare and few examples, the network fits each training point, noise included, so the gap between training and test accuracy opens and the test loss rises while the training loss falls — the health check’s overfitting finding (Prechelt’s generalization loss). The lesson shows the gap.',
    lesson: 'overfitting',
    experiments: ['fitting'],
  },
  {
    id: 'underfitting',
    topic: 'Underfitting and capacity',
    question: 'A model with no hidden layer is trained on the two-circles data set (one class inside a ring of the other). Its training loss stays high however long it trains. What is this?',
    options: [
      'Overfitting: it memorized the training set.',
      'Exploding gradients.',
      'The learning rate is too small; more epochs will fix it.',
      'Underfitting: a linear model can only draw a straight boundary, which cannot separate a circle from the ring around it; it lacks the capacity, and more training will not help.',
    ],
    answer: 3,
    explanation:
      'Without a hidden layer the logits are linear in the inputs, so the decision boundary is a straight line; no line separates the inner circle from the ring, so training accuracy stays at chance level or not far above it (70% or less in the lesson). The health check reports underfitting: a training loss still near the best constant prediction’s, and flat. A hidden layer fixes it.',
    lesson: 'underfitting',
    experiments: ['fitting'],
  },
  {
    id: 'softmax-sigmoid',
    topic: 'Softmax vs sigmoid at the output',
    question: 'Each example belongs to exactly one of three classes. Which output layer fits?',
    options: [
      'Three units, each with its own sigmoid and binary cross-entropy.',
      'One sigmoid unit whose output range is split into thirds.',
      'Three units with softmax and cross-entropy: the three probabilities are positive and sum to 1, one distribution over mutually exclusive classes.',
      'Three ReLU units trained with mean squared error.',
    ],
    answer: 2,
    explanation:
      'Softmax turns the logits into one probability distribution, right for exactly-one-of-K labels. Independent sigmoids answer K separate yes/no questions whose probabilities need not sum to 1 — right for multi-label targets, or a single sigmoid unit for two classes. The lesson trains softmax + cross-entropy on three blobs to over 90% with a test loss far below chance (ln 3 ≈ 1.10).',
    lesson: 'softmax-output',
    experiments: [],
  },
];

/** The question `id`; an unknown id is an error naming the valid ones. */
export function quizQuestion(id: string): QuizQuestion {
  const q = QUIZ.find((x) => x.id === id);
  if (!q) throw new Error(`Unknown quiz question '${id}'. Valid questions: ${QUIZ.map((x) => x.id).join(', ')}.`);
  return q;
}

/**
 * Judge an answer: `option` is the index of the chosen option (0-based). An option out of
 * range, or not an integer, is an error naming the question and the valid range.
 */
export function checkAnswer(id: string, option: number): { correct: boolean; explanation: string; lesson: string } {
  const q = quizQuestion(id);
  if (typeof option !== 'number' || !Number.isInteger(option) || option < 0 || option >= q.options.length) {
    throw new Error(`Quiz question '${id}': option must be an integer from 0 to ${q.options.length - 1}, got ${JSON.stringify(option)}.`);
  }
  return { correct: option === q.answer, explanation: q.explanation, lesson: q.lesson };
}

/** The questions an experiment answers (its page ends with them). */
export function quizForExperiment(name: string): QuizQuestion[] {
  return QUIZ.filter((q) => q.experiments.includes(name));
}
