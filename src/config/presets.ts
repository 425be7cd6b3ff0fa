/**
 * Presets (spec/BENCHMARKS.md section 1) and per-task defaults, as partial configs.
 *
 * | preset | hidden H | batch | particles P | reverse samples K | Euler steps N | embedding |
 * |--------|----------|-------|-------------|-------------------|---------------|-----------|
 * | paper  | 256      | 256   | 32          | 100               | 10            | 128       |
 * | lite   | 256      | 256   | 8           | 32                | 10            | 128       |
 * | small  | 64       | 64    | 4           | 16                | 5             | 16        |
 *
 * The diffusion baselines (dqs, qsm, qvpo, maxentdp), per preset:
 *
 * | preset | diffusion steps (DQS: 20) | DQS MC points | MaxEntDP reverse / log-prob noises | eval candidates | QVPO own samples |
 * |--------|---------------------------|---------------|------------------------------------|-----------------|------------------|
 * | paper  | 20                        | 1000          | 500 / 50                           | 32              | 64               |
 * | lite   | 20                        | 32            | 32 / 8                             | 8               | 16               |
 * | small  | 5                         | 16            | 16 / 4                             | 4               | 8                |
 *
 * K and N follow spec/RFM.md (K reverse samples); spec/BENCHMARKS.md's table calls them M and K.
 * H is the width of every network: the RFM velocity network, the baselines' policy networks, and
 * each hidden layer of the critics and of the SAC / TD3 actors. 'paper' also fixes the training loop of spec/RFM.md section 6
 * (250k steps, buffer 250k, 10k random steps, evaluation every 10k over 25 episodes as the
 * reference code, UTD 1); 'lite' leaves the loop
 * alone; 'small' sets a CPU-sized loop (a few thousand steps: enough for Pendulum-v1 with SAC).
 *
 * Order of application (./resolve.ts): defaults, algorithm, task defaults, preset, task
 * requirements, files, --set. So a preset wins over a task's defaults (`--preset paper` on
 * Pendulum-v1 means the paper's 250k steps), but not over what a task requires to be solved at all
 * (TASK_REQUIREMENTS: the toy bandit's loop and sampler sizes hold under every preset).
 */
import type { ConfigPatch, PresetName } from './types.ts';

function widths(h: number): ConfigPatch {
  return {
    sac: { actorHidden: [h, h], criticHidden: [h, h] },
    td3: { actorHidden: [h, h], criticHidden: [h, h] },
    rfm: { hidden: h, criticHidden: [h, h] },
    dqs: { hidden: h, criticHidden: [h, h] },
    qsm: { hidden: h, criticHidden: [h, h] },
    qvpo: { hidden: h, criticHidden: [h, h] },
    maxentdp: { hidden: h, criticHidden: [h, h] },
  };
}

/**
 * The diffusion baselines' sample counts and steps per preset ('paper': the reference code's;
 * 'lite' and 'small' shrink them as they shrink RFM's particles and reverse samples).
 */
function baselines(o: {
  embedding: number;
  steps: number;
  dqsMc: number;
  reverse: number;
  logProb: number;
  candidates: number;
  own: number;
}): ConfigPatch {
  const e = o.embedding;
  return {
    dqs: { embedding: e, mcSamples: o.dqsMc }, // 20 Euler-Maruyama steps in every preset: the VE sampler diverges with 5
    qsm: { embedding: e, diffusionSteps: o.steps },
    qvpo: { embedding: e, diffusionSteps: o.steps, trainSamples: o.own, evalSamples: o.candidates },
    maxentdp: {
      embedding: e,
      diffusionSteps: o.steps,
      scoreSamples: o.reverse,
      logProbSamples: o.logProb,
      evalCandidates: o.candidates,
    },
  };
}

function merge(...ps: ConfigPatch[]): ConfigPatch {
  const out: Record<string, Record<string, unknown>> = {};
  for (const p of ps) for (const [s, v] of Object.entries(p)) out[s] = { ...out[s], ...v };
  return out as ConfigPatch;
}

/** The presets' settings (network widths, sampler sizes, and for 'paper' and 'small' the loop), as partial configs. */
export const PRESETS: Readonly<Record<PresetName, ConfigPatch>> = {
  paper: merge(
    widths(256),
    baselines({
      embedding: 128,
      steps: 20,
      dqsMc: 1000,
      reverse: 500,
      logProb: 50,
      candidates: 32,
      own: 64,
    }),
    {
      train: {
        batchSize: 256,
        steps: 250_000,
        bufferSize: 250_000,
        randomSteps: 10_000,
        evalEvery: 10_000,
        evalEpisodes: 25,
        utd: 1,
      },
      rfm: { particles: 32, reverseSamples: 100, eulerSteps: 10, embedding: 128 },
    },
  ),
  lite: merge(
    widths(256),
    baselines({
      embedding: 128,
      steps: 20,
      dqsMc: 32,
      reverse: 32,
      logProb: 8,
      candidates: 8,
      own: 16,
    }),
    {
      train: { batchSize: 256 },
      rfm: { particles: 8, reverseSamples: 32, eulerSteps: 10, embedding: 128 },
    },
  ),
  small: merge(
    widths(64),
    baselines({
      embedding: 16,
      steps: 5,
      dqsMc: 16,
      reverse: 16,
      logProb: 4,
      candidates: 4,
      own: 8,
    }),
    {
      train: {
        batchSize: 64,
        steps: 5_000,
        bufferSize: 50_000,
        randomSteps: 500,
        evalEvery: 1_000,
        evalEpisodes: 5,
        checkpointEvery: 0,
        logEvery: 250,
        utd: 1,
      },
      rfm: { particles: 4, reverseSamples: 16, eulerSteps: 5, embedding: 16 },
    },
  ),
};

/**
 * Loop lengths per task, for runs without a preset that sets them. Small tasks learn in far fewer
 * than 250k steps; the long MuJoCo / DMC tasks keep the defaults.
 */
export const TASK_DEFAULTS: Readonly<Record<string, ConfigPatch>> = {
  'Pendulum-v1': {
    train: {
      steps: 20_000,
      randomSteps: 1_000,
      evalEvery: 2_000,
      checkpointEvery: 5_000,
      logEvery: 500,
    },
  },
  'MountainCarContinuous-v0': { train: { steps: 50_000, randomSteps: 5_000, evalEvery: 5_000 } },
  'InvertedPendulum-v5': { train: { steps: 50_000, randomSteps: 2_000, evalEvery: 5_000 } },
};

/**
 * What a task needs whatever the preset, applied after the preset (files and `--set` still win).
 *
 * MultimodalBandit-v0 is a one-step task: its loop is a few thousand one-step episodes under every
 * preset (the paper's 250k steps, or 'small''s 500 random steps, would only waste time). Its four
 * modes cover ~4% of [-1, 1]^2 (sigma 0.1), and early in a flow's path (small t) the reverse
 * proposals y1 = (y_t - (1 - t) eps) / t spread far beyond them: with the 'small' sampler (4
 * particles, 16 reverse samples) hardly a proposal lands on a mode, the self-normalised weights
 * go to the least bad far-out latent, the flow learns to push its mass to the corners of the box
 * (tanh saturates), its own actions earn ~0 and the critic never sees the reward again after the
 * warm-up. So the sampler needs more than 'small''s sizes: 100 reverse samples as the paper, and 128
 * particles with T = 0.1 rather than the paper's 32 and 0.02. After ~2k steps the small critic's
 * minQ at the four (equally good) modes still differs by ~0.1-0.25, and both the particle choice
 * Categorical(softmax(minQ / T)) and the flow's target exp(minQ / T) scale such a gap by 1/T: at
 * T = 0.02 a gap of 0.1 is a factor e^5, the samples pile onto the modes the critic happens to rate
 * highest and one mode is lost (per-mode counts 2, 164, 517, 73 of 1000 with seed 0); at T = 0.1 it
 * is a factor e. The flow itself is still spread over the box by then (a few of 32 particles lie
 * within a mode's kernel), so evaluation, argmax minQ over the particles, needs many particles to
 * have one on a mode: with 32 its return fell to ~0.2 on some seeds, with 128 it is ~0.9 on seeds
 * 0-2 and all four modes keep >= 5% of the samples (test/config/bandit-demo.test.ts). The
 * Gaussian baselines get the settings with which they leave the symmetric point between the modes
 * (test/agents/baselines.test.ts).
 */
export const TASK_REQUIREMENTS: Readonly<Record<string, ConfigPatch>> = {
  'MultimodalBandit-v0': {
    train: {
      steps: 2_000,
      randomSteps: 200,
      evalEvery: 500,
      checkpointEvery: 0,
      logEvery: 100,
      evalEpisodes: 20,
    },
    rfm: { particles: 128, reverseSamples: 100, temperature: 0.1 },
    sac: { initAlpha: 0.01, alphaLr: 3e-3, actorLr: 1e-3, logStdMax: 0 },
    td3: { actorLr: 1e-3, criticLr: 1e-3 },
  },
};
