/**
 * The Reverse Flow Matching regression step (spec/RFM.md section 6, "actor update"), shared by the
 * RL agent (src/agents/rfm.ts) and the 2-D Boltzmann sampler (src/estimators/boltzmann.ts):
 *
 *   t ~ U[tMin, 1 - tMin],  y_t = a(t) y1 + b(t) eps                       (a point on the path)
 *   m = E[y1 | y_t] under exp(l), from K reverse samples (estimator family) (the posterior mean)
 *   target = the velocity (flow) or the noise (diffusion) that m implies at y_t
 *   loss = mean((net(t, y_t, cond, T) - target)^2)
 *
 * The loss's gradients are accumulated in the network's parameters (one fused backend call where
 * the backend has it); the caller makes the optimiser step. Random draws, in order: t (B
 * uniforms), eps [B, A], then the estimator's reverse noise.
 */
import {
  type Rng,
  type Tensor,
  backward,
  mean,
  randn,
  square,
  sub,
  tensor,
} from '../engine/index.ts';
import {
  type ControlVariate,
  type LogTarget,
  type PosteriorMeanDiagnostics,
  estimatePosteriorMean,
} from '../estimators/posterior-mean.ts';
import {
  type GaussianPath,
  coefficientTensors,
  interpolate,
  noiseFromPosteriorMean,
  velocityFromPosteriorMean,
} from '../paths/index.ts';
import type { VelocityNet } from './flow.ts';

export interface FlowMatchingStep {
  net: VelocityNet;
  /** Conditioning rows [B, condDim], or null for an unconditional flow. */
  cond: Tensor | null;
  /** The network's temperature input (one value for every row), or null when it has none. */
  temperature: number | null;
  path: GaussianPath;
  /** What the network predicts: the velocity (flow path) or the noise (VP paths). */
  prediction: 'velocity' | 'noise';
  /** Endpoints y1 [B, A] (no gradient flows into them). */
  y1: Tensor;
  /** The log-target l of the endpoint posterior. */
  logTarget: LogTarget;
  /** Reverse samples K per row (spec/RFM.md's K). */
  reverseSamples: number;
  cv: ControlVariate;
  tMin: number;
  rng: Rng;
}

/** One regression step's gradients (accumulated in net's parameters); returns the loss and the estimator's diagnostics. */
export function flowMatchingStep(s: FlowMatchingStep): {
  loss: number;
  diagnostics: PosteriorMeanDiagnostics;
} {
  const [B, A] = s.y1.shape;
  const be = s.y1.backend;
  const t = new Float32Array(B);
  for (let i = 0; i < B; i++) t[i] = s.tMin + (1 - 2 * s.tMin) * s.rng.uniform();
  const coef = coefficientTensors(s.path, t, s.y1);
  const yt = interpolate(coef, s.y1.detach(), randn([B, A], s.rng, be));
  const est = estimatePosteriorMean(
    s.logTarget,
    yt,
    coef.a,
    coef.b,
    s.reverseSamples,
    s.cv,
    s.rng,
    t,
  );
  const target = (
    s.prediction === 'velocity'
      ? velocityFromPosteriorMean(coef, est.mean, yt)
      : noiseFromPosteriorMean(coef, est.mean, yt)
  ).detach();
  const ts = tensor(t, [B], be);
  const fused = s.net.mseGradients(s.cond, yt, ts, s.temperature, target);
  if (fused !== null) return { loss: fused, diagnostics: est.diagnostics };
  const loss = mean(square(sub(s.net.forward(s.cond, yt, ts, s.temperature), target)));
  backward(loss);
  return { loss: loss.item(), diagnostics: est.diagnostics };
}
