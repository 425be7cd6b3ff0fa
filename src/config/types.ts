/**
 * Typed configuration of every algorithm and of the training loop.
 *
 * HOW IT IS ORGANISED (read this first if you are writing an agent):
 *
 *   interface Config {
 *     train: TrainConfig;   // the loop: steps, buffer, warm-up, batch size, UTD, evaluation, checkpoints
 *     sac:   SacConfig;     // read by src/agents/sac.ts
 *     td3:   Td3Config;     // read by src/agents/td3.ts
 *     rfm:   RfmConfig;     // read by src/agents/rfm.ts for 'rfm' and 'rfm-diffusion'
 *     dqs, qsm, qvpo, maxentdp  // the reference code's diffusion baselines (src/agents/<name>.ts)
 *   }
 *
 * Every section is always present and complete (no optional fields, no `undefined` to guard
 * against downstream): an agent factory receives the whole resolved Config and reads its own
 * section, e.g. `config.rfm.temperature`. The replay batch size lives in `config.train.batchSize`
 * because the loop samples the batch; the agent sees it as `batch.size`.
 *
 * Values are resolved in layers (src/config/resolve.ts), each a partial of this shape:
 *   DEFAULTS (below; spec/RFM.md section 6 values, which work on their own)
 *   -> ALGO_DEFAULTS[algo]   (e.g. 'rfm-diffusion' = the VP diffusion path)
 *   -> TASK_DEFAULTS[envId]  (shorter loops for small tasks, e.g. Pendulum-v1)
 *   -> PRESETS[preset]       ('paper' | 'lite' | 'small'; spec/BENCHMARKS.md section 1)
 *   -> TASK_REQUIREMENTS[envId] (what a task needs under every preset, e.g. the toy bandit's loop)
 *   -> config files (JSON or YAML, in order) -> `--set key=value` overrides (dotted keys).
 * Each layer is validated against FIELDS (src/config/schema.ts): an unknown key or a bad value is
 * a one-line ConfigError naming the key, with the nearest known key suggested.
 *
 * Optional numbers are `number | null` (null: "off"), never strings that need parsing.
 */

/** Algorithms the agent factory knows (src/agents/index.ts). */
export const ALGOS = [
  'sac',
  'td3',
  'rfm',
  'rfm-diffusion',
  'dqs',
  'qsm',
  'qvpo',
  'maxentdp',
] as const;
/** An algorithm's name, one of ALGOS. */
export type Algo = (typeof ALGOS)[number];

/** The presets: the paper's protocol, the paper's networks with a cheaper sampler, and a CPU-sized setup. */
export const PRESET_NAMES = ['paper', 'lite', 'small'] as const;
/** A preset's name, one of PRESET_NAMES. */
export type PresetName = (typeof PRESET_NAMES)[number];

/** The training loop (src/train/loop.ts). */
export interface TrainConfig {
  /** Total environment steps. */
  steps: number;
  /** Replay buffer capacity (transitions); the oldest are overwritten. */
  bufferSize: number;
  /** Steps with uniform random actions before the agent acts; updates start after them. */
  randomSteps: number;
  /** Transitions per gradient update (sampled uniformly with replacement). */
  batchSize: number;
  /** Update-to-data ratio: gradient updates per environment step (fractions allowed, e.g. 0.5). */
  utd: number;
  /** Evaluate every this many environment steps (0: never, except at the end). */
  evalEvery: number;
  /** Episodes per evaluation (deterministic actions, a separate, deterministically seeded env). */
  evalEpisodes: number;
  /** Write a checkpoint every this many environment steps (0: only at the end of the run). */
  checkpointEvery: number;
  /** Write a row of training metrics (means since the last row) every this many steps. */
  logEvery: number;
  /** Normalise observations with running statistics (saved in checkpoints, frozen for evaluation). */
  normalizeObs: boolean;
  /** Episode length limit; null: the environment's registered limit. */
  maxEpisodeSteps: number | null;
  /**
   * Divergence guard: after every update, a parameter (or target) whose magnitude exceeds this,
   * or any non-finite parameter or optimiser moment, stops the run (src/train/guard.ts).
   */
  divergenceThreshold: number;
  /**
   * Updates between two full checks of the agent's state by the guard (1: after every update).
   * Losses, gradient norms and actions are checked at every update and step regardless, and the
   * state is always checked before a checkpoint is written and when the agent throws.
   */
  guardEvery: number;
}

/** Soft Actor-Critic (Haarnoja et al. 2018, with automatic entropy tuning; src/agents/sac.ts). */
export interface SacConfig {
  /** Hidden layer sizes of the Gaussian actor. */
  actorHidden: number[];
  /** Hidden layer sizes of each of the two critics. */
  criticHidden: number[];
  /** Actor Adam learning rate. */
  actorLr: number;
  /** Critic Adam learning rate. */
  criticLr: number;
  /** Adam learning rate of log(alpha). */
  alphaLr: number;
  /** Discount factor. */
  gamma: number;
  /** Polyak rate of the target critics, applied after every update. */
  tau: number;
  /** Entropy coefficient at the start (and throughout when `autotune` is false). */
  initAlpha: number;
  /** Tune alpha so that the policy entropy tracks -targetEntropyScale * actDim. */
  autotune: boolean;
  /** Target entropy = -targetEntropyScale * actDim (1: the usual -actDim). */
  targetEntropyScale: number;
  /** Clamp of the actor's log standard deviation, lower bound. */
  logStdMin: number;
  /** Clamp of the actor's log standard deviation, upper bound. */
  logStdMax: number;
  /** Global gradient-norm clip for actor and critics; null: no clipping. */
  maxGradNorm: number | null;
  /** Rewards are multiplied by this in the TD target. */
  rewardScale: number;
}

/** Twin Delayed DDPG (Fujimoto et al. 2018; src/agents/td3.ts). */
export interface Td3Config {
  /** Hidden layer sizes of the deterministic actor. */
  actorHidden: number[];
  /** Hidden layer sizes of each of the two critics. */
  criticHidden: number[];
  /** Actor Adam learning rate. */
  actorLr: number;
  /** Critic Adam learning rate. */
  criticLr: number;
  /** Discount factor. */
  gamma: number;
  /** Polyak rate of the target actor and critics (applied with each actor update). */
  tau: number;
  /** Std of the Gaussian noise added to target actions (target policy smoothing), in [-1, 1] units. */
  policyNoise: number;
  /** The smoothing noise is clipped to [-noiseClip, noiseClip]. */
  noiseClip: number;
  /** Actor and target updates happen every `policyDelay` critic updates. */
  policyDelay: number;
  /** Std of the Gaussian exploration noise on training actions, in [-1, 1] units. */
  explorationNoise: number;
  /** Global gradient-norm clip for actor and critics; null: no clipping. */
  maxGradNorm: number | null;
  /** Rewards are multiplied by this in the TD target. */
  rewardScale: number;
}

/** How the posterior mean is estimated from the K reverse samples (spec/RFM.md section 4). */
export type ControlVariateKind = 'cv' | 'ne' | 'ge';
/** Where the actor's regression endpoints y1 come from. */
export type EndpointKind = 'on-policy' | 'off-policy';
export type SolverKind = 'euler' | 'heun';
/** The Gaussian path: 'flow' (y_t = t y1 + (1 - t) eps) or a variance-preserving diffusion schedule. */
export type PathKind = 'flow' | 'vp-cosine' | 'vp-linear';

/**
 * Reverse Flow Matching agents (spec/RFM.md sections 6-7): 'rfm' (flow path) and 'rfm-diffusion'
 * (VP path; ALGO_DEFAULTS changes only `path`). The estimator ablations are `estimator` 'ne'
 * (c = 0: noise expectation) and 'ge' (c = sigma^2: gradient expectation) on either.
 */
export interface RfmConfig {
  /** Boltzmann temperature T of the target policy exp(Q / T). */
  temperature: number;
  /** When set, T is annealed log-linearly from `temperature` to this over `annealUpdates` updates; null: fixed T. */
  temperatureEnd: number | null;
  /** Number of updates of the log-linear temperature annealing (used only with `temperatureEnd`). */
  annealUpdates: number;
  /** Condition the velocity network on T (an embedding of T as an extra input). */
  temperatureInput: boolean;
  /** Particles P per state when acting (Categorical(softmax(minQ / T)) in training, argmax Q in evaluation) and for TD next actions. */
  particles: number;
  /** Reverse samples K per state for the posterior-mean estimator (spec/RFM.md's K; BENCHMARKS.md's M). */
  reverseSamples: number;
  /** Integration steps N of the sampler (BENCHMARKS.md's K). */
  eulerSteps: number;
  /** t runs over [tMin, 1 - tMin], in sampling and in the actor loss's t ~ U[tMin, 1 - tMin]. */
  tMin: number;
  /** Size of each sinusoidal embedding (of t and of T). */
  embedding: number;
  /** Width H of the velocity network. */
  hidden: number;
  /** Residual blocks h + gelu(Dense(h)) after the input layer. */
  residualBlocks: number;
  /** Hidden layer sizes of each of the two critics. */
  criticHidden: number[];
  /** Actor (velocity network) Adam learning rate. */
  actorLr: number;
  /** Critic Adam learning rate. */
  criticLr: number;
  /** Discount factor. */
  gamma: number;
  /** Polyak rate of the target critics, every update. */
  tau: number;
  /** Global gradient-norm clip for actor and critics; null: no clipping. */
  maxGradNorm: number | null;
  /** Posterior-mean estimator: 'cv' autotuned control variate, 'ne' noise expectation (c = 0), 'ge' gradient expectation (c = sigma^2). */
  estimator: ControlVariateKind;
  /** Ridge added to the denominator when autotuning c ('cv'). */
  cvRidge: number;
  /** The autotuned c is clipped to [-cvClip, cvClip] ('cv'). */
  cvClip: number;
  /** 'on-policy': y1 from the particle sampler on s; 'off-policy': atanh of the replay actions. */
  endpoint: EndpointKind;
  /** ODE solver of the sampler. */
  solver: SolverKind;
  /** Gaussian path; 'flow' for 'rfm', a VP schedule for the diffusion variants. */
  path: PathKind;
  /** Rewards are multiplied by this in the TD target. */
  rewardScale: number;
}

/**
 * What the diffusion baselines of the RFM reference code share (../shared/facts/baselines.md
 * section 2): a score / noise network [s, x, emb(tau), emb(c)] -> Dense H GELU -> residual GELU
 * blocks -> Dense d (QVPO has its own Mish networks, sized by the same `hidden`), twin ReLU
 * critics, Adam, Polyak targets, no gradient clipping.
 */
export interface DiffusionBaselineConfig {
  /** Width H of the policy network. */
  hidden: number;
  /** Residual blocks after the input layer (the score / noise network). */
  residualBlocks: number;
  /** Size of each sinusoidal embedding. */
  embedding: number;
  /** Hidden layer sizes of each of the two critics. */
  criticHidden: number[];
  /** Policy Adam learning rate. */
  actorLr: number;
  /** Critic Adam learning rate. */
  criticLr: number;
  /** Discount factor. */
  gamma: number;
  /** Polyak rate of the targets, every update. */
  tau: number;
  /** Gradient-norm clip of the policy and of each critic; null: none (the reference's, for baselines). */
  maxGradNorm: number | null;
  /** Rewards are multiplied by this in the TD target. */
  rewardScale: number;
}

/** Diffusion Q-sampling (src/agents/dqs.ts): a VE score network regressed on a softmax(Q/T)-weighted mean of Q-gradients. */
export interface DqsConfig extends DiffusionBaselineConfig {
  /** Temperature T of exp(Q / T). */
  temperature: number;
  /** VE noise scale: sigma(t) grows geometrically from sigmaMin (t = 0) to sigmaMax (t = 1). */
  sigmaMin: number;
  sigmaMax: number;
  /** Euler-Maruyama steps of the sampler. */
  integrationSteps: number;
  /** Forward-noised points per state for the score target. */
  mcSamples: number;
  /** Scale of the sampler's injected noise when acting (evaluation uses 0). */
  diffusionScale: number;
}

/** Q-score matching (src/agents/qsm.ts): a DDPM noise network regressed on the scaled action-gradient of Q. */
export interface QsmConfig extends DiffusionBaselineConfig {
  /** DDPM steps N (VP schedule). */
  diffusionSteps: number;
  /** Scale of the sampler's injected noise. */
  ddpmTemperature: number;
  /** The noise target is -qGradScale * grad_a Q (mean of the two critics). */
  qGradScale: number;
  /** Std of the Gaussian noise added to acting actions. */
  explorationNoise: number;
  /** Std of the Gaussian noise added to the TD target's next actions. */
  targetActionNoise: number;
}

/** QVPO (src/agents/qvpo.ts): Q-weighted variational (DDPM) loss on the best of own samples, with an entropy term. */
export interface QvpoConfig extends DiffusionBaselineConfig {
  /** DDPM steps N (cosine schedule). */
  diffusionSteps: number;
  /** Own samples per state for the actor's weighted loss (the best one is kept). */
  trainSamples: number;
  /** Candidates when acting, when choosing the TD target's next action, and when evaluating (argmax Q). */
  behaviorSamples: number;
  targetSamples: number;
  evalSamples: number;
  /** Uniform actions per state in the entropy term, and their weight relative to the best sample's. */
  entropySamples: number;
  entropyAlpha: number;
  /** Scale of the sampler's injected noise. */
  noiseRatio: number;
}

/** MaxEntDP (src/agents/maxentdp.ts): a noise network regressed on a target-critic-weighted mean of reverse noises, entropy in the TD target. */
export interface MaxEntDpConfig extends DiffusionBaselineConfig {
  /** Temperature T (network input, softmax, entropy term). */
  temperature: number;
  /** Steps of the sampler and of the log-probability grid. */
  diffusionSteps: number;
  /** Smallest diffusion time of the continuous cosine schedule. */
  tMin: number;
  /** Truncated-normal reverse samples per state for the noise target. */
  scoreSamples: number;
  /** Noises per step in the ELBO log-probability of the TD target's entropy term. */
  logProbSamples: number;
  /** Subtract T log p(a'|s') in the TD target. */
  backupEntropy: boolean;
  /** Candidates at evaluation (argmax of the target critics' minimum). */
  evalCandidates: number;
}

/** A complete, resolved configuration: the training loop and every algorithm's section (build one with resolveConfig). */
export interface Config {
  train: TrainConfig;
  sac: SacConfig;
  td3: Td3Config;
  rfm: RfmConfig;
  dqs: DqsConfig;
  qsm: QsmConfig;
  qvpo: QvpoConfig;
  maxentdp: MaxEntDpConfig;
}

/** The shared defaults of the diffusion baselines (../shared/facts/baselines.md section 2). */
const DIFFUSION_BASELINE = {
  hidden: 256,
  residualBlocks: 2,
  embedding: 128,
  criticHidden: [256, 256],
  actorLr: 3e-4,
  criticLr: 1e-3,
  gamma: 0.99,
  tau: 0.005,
  maxGradNorm: null,
  rewardScale: 1,
} satisfies DiffusionBaselineConfig;

/** A partial Config, section by section (presets, task defaults, files). */
export type ConfigPatch = { [S in keyof Config]?: Partial<Config[S]> };

/** Spec/RFM.md section 6 values (the 'paper' protocol). Every field works as it is. */
export const DEFAULTS: Readonly<Config> = Object.freeze({
  train: {
    steps: 250_000,
    bufferSize: 250_000,
    randomSteps: 10_000,
    batchSize: 256,
    utd: 1,
    evalEvery: 10_000,
    evalEpisodes: 10,
    checkpointEvery: 10_000,
    logEvery: 1_000,
    normalizeObs: false,
    maxEpisodeSteps: null,
    divergenceThreshold: 1e6,
    guardEvery: 10,
  },
  sac: {
    actorHidden: [256, 256],
    criticHidden: [256, 256],
    actorLr: 3e-4,
    criticLr: 1e-3,
    alphaLr: 3e-4,
    gamma: 0.99,
    tau: 0.005,
    initAlpha: 1,
    autotune: true,
    targetEntropyScale: 1,
    logStdMin: -5,
    logStdMax: 2,
    maxGradNorm: null,
    rewardScale: 1,
  },
  td3: {
    actorHidden: [256, 256],
    criticHidden: [256, 256],
    actorLr: 3e-4,
    criticLr: 3e-4,
    gamma: 0.99,
    tau: 0.005,
    policyNoise: 0.2,
    noiseClip: 0.5,
    policyDelay: 2,
    explorationNoise: 0.1,
    maxGradNorm: null,
    rewardScale: 1,
  },
  rfm: {
    temperature: 0.02,
    temperatureEnd: null,
    annealUpdates: 0,
    temperatureInput: true,
    particles: 32,
    reverseSamples: 100,
    eulerSteps: 10,
    tMin: 0.01,
    embedding: 128,
    hidden: 256,
    residualBlocks: 2,
    criticHidden: [256, 256],
    actorLr: 3e-4,
    criticLr: 1e-3,
    gamma: 0.99,
    tau: 0.005,
    maxGradNorm: 10,
    estimator: 'cv',
    cvRidge: 1e-4,
    cvClip: 2,
    endpoint: 'on-policy',
    solver: 'euler',
    path: 'flow',
    rewardScale: 1,
  },
  dqs: {
    ...DIFFUSION_BASELINE,
    temperature: 0.05,
    sigmaMin: 1e-5,
    sigmaMax: 1,
    integrationSteps: 20,
    mcSamples: 1000,
    diffusionScale: 1,
  },
  qsm: {
    ...DIFFUSION_BASELINE,
    diffusionSteps: 20,
    ddpmTemperature: 1,
    qGradScale: 50,
    explorationNoise: 0.1,
    targetActionNoise: 0.1,
  },
  qvpo: {
    ...DIFFUSION_BASELINE,
    diffusionSteps: 20,
    trainSamples: 64,
    behaviorSamples: 4,
    targetSamples: 4,
    evalSamples: 32,
    entropySamples: 10,
    entropyAlpha: 0.02,
    noiseRatio: 1,
  },
  maxentdp: {
    ...DIFFUSION_BASELINE,
    temperature: 0.02,
    diffusionSteps: 20,
    tMin: 0.001,
    scoreSamples: 500,
    logProbSamples: 50,
    backupEntropy: true,
    evalCandidates: 32,
  },
} satisfies Config);

/**
 * The config section each algorithm's agent reads (besides `train`): a value in another
 * algorithm's section changes nothing in its runs (src/sweep/grid.ts drops such grid values).
 */
export const ALGO_SECTION: Readonly<Record<Algo, Exclude<keyof Config, 'train'>>> = {
  sac: 'sac',
  td3: 'td3',
  rfm: 'rfm',
  'rfm-diffusion': 'rfm',
  dqs: 'dqs',
  qsm: 'qsm',
  qvpo: 'qvpo',
  maxentdp: 'maxentdp',
};

/** What each algorithm changes from DEFAULTS before presets, tasks, files and overrides apply. */
export const ALGO_DEFAULTS: Readonly<Record<Algo, ConfigPatch>> = {
  sac: {},
  td3: {},
  rfm: {},
  'rfm-diffusion': { rfm: { path: 'vp-cosine' } },
  dqs: {},
  qsm: {},
  qvpo: {},
  maxentdp: {},
};
