/**
 * Training a flow to sample an unnormalised 2-D density exp(-E(x)) with no samples from it
 * (spec/RFM.md section 8): Reverse Flow Matching with the posterior-mean estimator family.
 *
 * One iteration:
 *  1. endpoints x1 from the current flow (integrateFlow from x0 ~ N(0, I), a few Euler steps; no
 *     gradient): the "on-policy endpoints" of the RL agent;
 *  2. t ~ U[tMin, 1 - tMin], fresh noise x0, x_t = t x1 + (1 - t) x0 (linear flow path);
 *  3. m = E[x1 | x_t] under the TARGET, estimated from K reverse proposals with l = -E
 *     (estimatePosteriorMean; NE, GE or CV);
 *  4. target velocity v* = (m - x_t) / (1 - t) (velocityFromPosteriorMean), MSE regression of the
 *     velocity network at (x_t, t), one Adam step.
 * The fixed point is a flow whose marginal at every t is the target's, whatever the endpoints'
 * distribution was at the start; the endpoints only decide where x_t is sampled.
 *
 * The network is the policy's VelocityNet with no conditioning input and no temperature input.
 */
import { Rng, randn, tidy } from '../engine/index.ts';
import { Adam } from '../nn/index.ts';
import { linearFlowPath } from '../paths/index.ts';
import { VelocityNet, integrateFlow } from '../policies/flow.ts';
import { flowMatchingStep } from '../policies/rfm-step.ts';
import type { Energy2D } from './energies.ts';
import { CV, GE, NE, type ControlVariate } from './posterior-mean.ts';
import { energyDistance } from './sample-distance.ts';

export type EstimatorChoice = 'ne' | 'ge' | 'cv';
export const ESTIMATOR_CHOICES: Record<EstimatorChoice, ControlVariate> = {
  ne: NE,
  ge: GE,
  cv: CV,
};

export interface BoltzmannConfig {
  energy: Energy2D;
  estimator: EstimatorChoice;
  /** Training iterations (one Adam step each). */
  steps: number;
  seed: number;
  /** Rows per iteration. */
  batch?: number;
  /** Reverse samples per row (default 100, the reference agent's value). */
  K?: number;
  lr?: number;
  /** t ~ U[tMin, 1 - tMin]; also the flow's integration interval. */
  tMin?: number;
  /** Euler steps for the training endpoints. */
  sampleSteps?: number;
  /** Euler steps for the evaluation samples. */
  evalSteps?: number;
  /** Samples (generated, and exact) for the energy distance. */
  evalSamples?: number;
  hidden?: number;
  residualBlocks?: number;
  embedding?: number;
  /** Global gradient-norm clip (the reference's 10). */
  maxGradNorm?: number;
  /** Called every `logEvery` iterations with running diagnostics. */
  onLog?: (log: TrainLog) => void;
  logEvery?: number;
}

export const BOLTZMANN_DEFAULTS = {
  batch: 128,
  K: 100,
  lr: 1e-3,
  tMin: 0.01,
  sampleSteps: 4,
  evalSteps: 32,
  evalSamples: 1500,
  hidden: 64,
  residualBlocks: 2,
  embedding: 16,
  maxGradNorm: 10,
  logEvery: 100,
} as const;

export interface TrainLog {
  step: number;
  /** Mean of the loss over the last logEvery iterations. */
  loss: number;
  /** Mean effective sample size, mean c, mean pre-clip gradient norm over the same window. */
  ess: number;
  meanC: number;
  gradNorm: number;
  seconds: number;
}

export interface BoltzmannResult {
  energy: string;
  estimator: EstimatorChoice;
  steps: number;
  /** Energy distance (squared, V-statistic) between generated and exact samples after training. */
  energyDistance: number;
  /** The same for the untrained flow (same noise, same exact samples). */
  initialEnergyDistance: number;
  seconds: number;
  /** Generated and exact samples, rows of 2 flattened. */
  generated: Float64Array;
  exact: Float64Array;
  logs: TrainLog[];
  net: VelocityNet;
}

/** n samples of the flow (Euler with `steps` steps over [tMin, 1 - tMin]) from a given generator. */
export function sampleSampler(
  net: VelocityNet,
  n: number,
  steps: number,
  tMin: number,
  rng: Rng,
): Float64Array {
  return tidy(() =>
    Float64Array.from(
      integrateFlow(net, null, randn([n, net.config.dim], rng), null, { steps, tMin }).toArray(),
    ),
  );
}

/** Trains a flow sampler for `cfg.energy`; returns the distances and samples. */
export function trainBoltzmann(cfg: BoltzmannConfig): BoltzmannResult {
  const o = {
    ...BOLTZMANN_DEFAULTS,
    ...Object.fromEntries(Object.entries(cfg).filter(([, v]) => v !== undefined)),
  } as Required<BoltzmannConfig>;
  const t0 = performance.now();
  const root = new Rng(o.seed);
  const net = new VelocityNet(
    {
      condDim: 0,
      dim: 2,
      hidden: o.hidden,
      residualBlocks: o.residualBlocks,
      embedding: o.embedding,
      temperatureInput: false,
    },
    root.split(0),
  );
  const opt = new Adam(net.parameters(), { lr: o.lr, maxGradNorm: o.maxGradNorm });
  const l = o.energy.logDensity();
  const cv = ESTIMATOR_CHOICES[o.estimator];
  if (!cv) throw new Error(`trainBoltzmann: unknown estimator '${o.estimator}'`);
  const exact = o.energy.sample(o.evalSamples, root.split(1));
  // the same evaluation noise before and after training
  const initial = sampleSampler(net, o.evalSamples, o.evalSteps, o.tMin, root.split(2));
  const initialEnergyDistance = energyDistance(initial, exact, 2);
  const rng = root.split(3);
  const logs: TrainLog[] = [];
  let acc = { loss: 0, ess: 0, meanC: 0, gradNorm: 0, n: 0 };
  const B = o.batch;
  for (let step = 1; step <= o.steps; step++) {
    tidy(() => {
      const x1 = integrateFlow(net, null, randn([B, 2], rng), null, {
        steps: o.sampleSteps,
        tMin: o.tMin,
      });
      // steps 2-4, the agent's own (src/policies/rfm-step.ts)
      const r = flowMatchingStep({
        net,
        cond: null,
        temperature: null,
        path: linearFlowPath,
        prediction: 'velocity',
        y1: x1,
        logTarget: l,
        reverseSamples: o.K,
        cv,
        tMin: o.tMin,
        rng,
      });
      const gn = opt.step();
      acc.loss += r.loss;
      acc.ess += r.diagnostics.ess;
      acc.meanC += r.diagnostics.meanC;
      acc.gradNorm += gn;
      acc.n++;
    });
    if (step % o.logEvery === 0 || step === o.steps) {
      const log: TrainLog = {
        step,
        loss: acc.loss / acc.n,
        ess: acc.ess / acc.n,
        meanC: acc.meanC / acc.n,
        gradNorm: acc.gradNorm / acc.n,
        seconds: (performance.now() - t0) / 1000,
      };
      logs.push(log);
      cfg.onLog?.(log);
      acc = { loss: 0, ess: 0, meanC: 0, gradNorm: 0, n: 0 };
    }
  }
  const generated = sampleSampler(net, o.evalSamples, o.evalSteps, o.tMin, root.split(2));
  return {
    energy: o.energy.name,
    estimator: o.estimator,
    steps: o.steps,
    energyDistance: energyDistance(generated, exact, 2),
    initialEnergyDistance,
    seconds: (performance.now() - t0) / 1000,
    generated,
    exact,
    logs,
    net,
  };
}
