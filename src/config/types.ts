/**
 * Typed configuration of every algorithm and of the training loop.
 *
 * HOW IT IS ORGANISED (read this first if you are writing an agent):
 *
 *   interface Config {
 *     train: TrainConfig;   // the loop: steps, buffer, warm-up, batch size, UTD, evaluation, checkpoints
 *     sac:   SacConfig;     // read by src/agents/sac.ts
 *     td3:   Td3Config;     // read by src/agents/td3.ts
 *     rfm:   RfmConfig;     // read by src/agents/rfm.ts for 'rfm', 'rfm-diffusion', 'sdac' and 'dqs'
 *   }
 *
 * Every section is always present and complete (no optional fields, no `undefined` to guard
 * against downstream): an agent factory receives the whole resolved Config and reads its own
 * section, e.g. `config.rfm.temperature`. The replay batch size lives in `config.train.batchSize`
 * because the loop samples the batch; the agent sees it as `batch.size`.
 *
 * Values are resolved in layers (src/config/resolve.ts), each a partial of this shape:
 *   DEFAULTS (below; spec/RFM.md section 6 values, which work on their own)
 *   -> ALGO_DEFAULTS[algo]   (e.g. 'sdac' = diffusion path + noise-expectation estimator)
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
export const ALGOS = ['sac', 'td3', 'rfm', 'rfm-diffusion', 'sdac', 'dqs'] as const;
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

/** How the posterior mean is estimated from the M reverse samples (spec/RFM.md section 4). */
export type ControlVariateKind = 'cv' | 'ne' | 'ge';
/** Where the actor's regression endpoints y1 come from. */
export type EndpointKind = 'on-policy' | 'off-policy';
export type SolverKind = 'euler' | 'heun';
/** The Gaussian path: 'flow' (y_t = t y1 + (1 - t) eps) or a variance-preserving diffusion schedule. */
export type PathKind = 'flow' | 'vp-cosine' | 'vp-linear';

/**
 * Reverse Flow Matching agents (spec/RFM.md sections 6-7): 'rfm' (flow path), and the diffusion
 * variants 'rfm-diffusion' (VP path, autotuned CV), 'sdac' (VP path, c = 0: noise expectation),
 * 'dqs' (VP path, c = sigma^2: gradient expectation). The variants only change `path` and
 * `controlVariate` defaults (ALGO_DEFAULTS); every field can still be overridden.
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
  /** Reverse samples M per state for the posterior-mean estimator. */
  reverseSamples: number;
  /** Integration steps K of the sampler. */
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
  controlVariate: ControlVariateKind;
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

/** A complete, resolved configuration: the training loop and every algorithm's section (build one with resolveConfig). */
export interface Config {
  train: TrainConfig;
  sac: SacConfig;
  td3: Td3Config;
  rfm: RfmConfig;
}

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
  },
  sac: {
    actorHidden: [256, 256],
    criticHidden: [256, 256],
    actorLr: 3e-4,
    criticLr: 1e-3,
    alphaLr: 1e-3,
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
    controlVariate: 'cv',
    cvRidge: 1e-4,
    cvClip: 2,
    endpoint: 'on-policy',
    solver: 'euler',
    path: 'flow',
    rewardScale: 1,
  },
} satisfies Config);

/** What each algorithm changes from DEFAULTS before presets, tasks, files and overrides apply. */
export const ALGO_DEFAULTS: Readonly<Record<Algo, ConfigPatch>> = {
  sac: {},
  td3: {},
  rfm: {},
  'rfm-diffusion': { rfm: { path: 'vp-cosine' } },
  sdac: { rfm: { path: 'vp-cosine', controlVariate: 'ne' } },
  dqs: { rfm: { path: 'vp-cosine', controlVariate: 'ge' } },
};
