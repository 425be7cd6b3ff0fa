/**
 * The posterior-mean estimator family (spec/RFM.md sections 3-5).
 *
 * Given x_t on a Gaussian path and a log-target l, the endpoint posterior is
 *   p(x1 | x_t) ∝ exp(l(x1)) N(x1; mu, sigma^2 I),  mu = x_t / a,  sigma = b / a.
 * Reverse proposals x1_k = (x_t - b x0_k) / a, x0_k ~ N(0, I), are samples of N(mu, sigma^2 I);
 * self-normalised weights w_k = softmax_k l(x1_k); posterior score s_k = grad l(x1_k) + (a/b) x0_k.
 *
 *   m_hat(c) = sum_k w_k x1_k + c ⊙ sum_k w_k s_k
 *
 * c = 0: noise expectation (NE); c = sigma^2: gradient expectation (GE); a constant or a schedule
 * in t; or the per-dimension minimum-variance c* (CV), with ridge and clip.
 *
 * Shapes: B conditioning points, K reverse samples, D dimensions.
 */
import {
  type Rng,
  type Tensor,
  add,
  clamp,
  div,
  expand,
  grad,
  max,
  unary,
  mean,
  min,
  mul,
  neg,
  noGrad,
  randn,
  reshape,
  softmax,
  square,
  sub,
  sum,
  tensor,
  variable,
  logSech2,
  tanh,
  empty,
} from '../engine/index.ts';

/**
 * Log-target values l(x) for rows x [N, D] -> [N]. Built from engine ops so autodiff gives grad l.
 * A target may also carry `valueAndGrad`, computing both without the tape (a fused kernel); it
 * must agree with autodiff of the function.
 */
export type LogTarget = ((x: Tensor) => Tensor) & {
  valueAndGrad?: (x: Tensor) => { value: Tensor; grad: Tensor };
};

/** Values and gradients of a log-target at x [N, D]: value [N], grad [N, D]. */
export function logTargetValueAndGrad(l: LogTarget, x: Tensor): { value: Tensor; grad: Tensor } {
  if (l.valueAndGrad) return l.valueAndGrad(x);
  const xv = variable(x.detach());
  const value = l(xv);
  const [g] = grad(sum(value), [xv]);
  return { value: value.detach(), grad: g };
}

/**
 * Bounded actions through a tanh latent (section 5): the target on actions a = tanh(y) moved to
 * the latent y, l(y) = lAction(tanh y) + sum_j log sech^2(y_j). When lAction has `valueAndGrad`,
 * so does the result, by the chain rule: grad l(y) = grad lAction(a) (1 - a^2) - 2a
 * (tanhLatentTerms).
 */
export function tanhLatentLogTarget(lAction: LogTarget): LogTarget {
  const l: LogTarget = (y) => add(lAction(tanh(y)), sum(logSech2(y), 1));
  const inner = lAction.valueAndGrad;
  if (inner) {
    l.valueAndGrad = (y) => {
      const a = noGrad(() => tanh(y.detach()));
      const { value, grad: g } = inner(a); // (may differentiate on its own tape)
      return tanhLatentTerms(y, a, value, g);
    };
  }
  return l;
}

/**
 * The latent target's value and gradient at y [N, D] from the action target's value v [N] and
 * gradient g [N, D] at a = tanh(y): value = v + sum_j log sech^2(y_j), grad = g (1 - a^2) - 2a.
 * One backend call where the backend has the fused kernel (the same numbers), else composed.
 */
export function tanhLatentTerms(
  y: Tensor,
  a: Tensor,
  v: Tensor,
  g: Tensor,
  compose = false,
): { value: Tensor; grad: Tensor } {
  return noGrad(() => {
    const be = y.backend;
    const [N, D] = y.shape;
    const fits =
      !compose &&
      be.tanhLatentTerms &&
      y.rank === 2 &&
      [a, v, g].every((t) => t.backend === be) &&
      a.size === N * D &&
      g.size === N * D &&
      v.size === N;
    if (fits) {
      const value = empty([N], be); // both written in full
      const grad = empty([N, D], be);
      be.tanhLatentTerms!(
        y.storage,
        a.storage,
        v.storage,
        g.storage,
        value.storage,
        grad.storage,
        N,
        D,
      );
      return { value, grad };
    }
    return {
      value: add(v, sum(logSech2(y), 1)),
      grad: sub(mul(g, add(neg(square(a)), 1)), mul(a, 2)),
    };
  });
}

export interface ReverseProposals {
  /** x1_k = (x_t - b x0_k) / a: [B, K, D]. */
  readonly x1: Tensor;
  /** The noise draws x0_k: [B, K, D]. */
  readonly x0: Tensor;
  /** Proposal mean mu = x_t / a: [B, D]; std sigma = b / a: [B, 1]. */
  readonly mu: Tensor;
  readonly sigma: Tensor;
  /** a / b: [B, 1] (the posterior score's prior term is (a/b) x0_k). */
  readonly aOverB: Tensor;
}

/** K reverse proposals per row of x_t [B, D], with path coefficients a, b [B, 1]. */
export function reverseProposals(
  xt: Tensor,
  a: Tensor,
  b: Tensor,
  K: number,
  rng: Rng,
): ReverseProposals {
  const [B, D] = xt.shape;
  const x0 = randn([B, K, D], rng, xt.backend);
  const a3 = reshape(a, [B, 1, 1]);
  const b3 = reshape(b, [B, 1, 1]);
  const x1 = div(sub(reshape(xt, [B, 1, D]), mul(b3, x0)), a3);
  return { x1, x0, mu: div(xt, a), sigma: div(b, a), aOverB: div(a, b) };
}

/** How the control-variate coefficient c is chosen. */
export type ControlVariate =
  | { kind: 'ne' }
  | { kind: 'ge' }
  | { kind: 'fixed'; value: number }
  | { kind: 'schedule'; fn: (t: number) => number }
  | { kind: 'cv'; ridge?: number; clip?: number };

export const NE: ControlVariate = { kind: 'ne' };
export const GE: ControlVariate = { kind: 'ge' };
export const CV: ControlVariate = { kind: 'cv', ridge: 1e-4, clip: 2 };

export interface PosteriorMeanDiagnostics {
  /** Mean effective sample size 1 / sum_k w_k^2 over the batch (between 1 and K). */
  ess: number;
  /** Mean of c over rows and dimensions. */
  meanC: number;
  /** Mean over rows of the largest weight. */
  maxWeight: number;
  /** Mean over rows of max_k l - min_k l (the spread of the logits). */
  logitSpread: number;
}

export interface PosteriorMeanResult {
  /** m_hat: [B, D]. */
  readonly mean: Tensor;
  /** The coefficient used: [B, D]. */
  readonly c: Tensor;
  /** Weights [B, K]. */
  readonly weights: Tensor;
  readonly diagnostics: PosteriorMeanDiagnostics;
}

/**
 * The minimum-variance per-dimension coefficient:
 *   c* = - sum_k w_k^2 (x1_k - m1)(s_k - ms) / (sum_k w_k^2 (s_k - ms)^2 + ridge), clipped to [-clip, clip].
 * w2 [B, K, 1], x1c and sc centred [B, K, D] -> [B, D].
 */
export function controlVariateCoefficient(
  w2: Tensor,
  x1c: Tensor,
  sc: Tensor,
  ridge: number,
  clip: number,
): Tensor {
  const num = sum(mul(w2, mul(x1c, sc)), 1);
  const den = add(sum(mul(w2, square(sc)), 1), ridge);
  return clamp(neg(div(num, den)), -clip, clip);
}

/**
 * m_hat(c) from reverse proposals and the log-target's values [B*K] and gradients [B*K, D] at
 * them. `t` [B] is needed only by a schedule.
 */
export function posteriorMean(
  p: ReverseProposals,
  logValues: Tensor,
  logGrads: Tensor,
  cv: ControlVariate,
  t?: ArrayLike<number>,
): PosteriorMeanResult {
  return noGrad(() => {
    const [B, K, D] = p.x1.shape;
    const fused = fusedPosteriorMean(p, logValues, logGrads, cv, t);
    if (fused) return fused;
    const logits = reshape(logValues, [B, K]);
    const w = softmax(logits, 1); // [B, K]
    const w3 = reshape(w, [B, K, 1]);
    const gl = reshape(logGrads, [B, K, D]);
    const s = add(gl, mul(reshape(p.aOverB, [B, 1, 1]), p.x0)); // posterior score [B, K, D]
    const m1 = sum(mul(w3, p.x1), 1); // [B, D]
    const ms = sum(mul(w3, s), 1); // [B, D]
    let c: Tensor;
    switch (cv.kind) {
      case 'ne':
        c = expand(tensor([0], [1, 1], m1.backend), [B, D]);
        break;
      case 'ge':
        c = expand(square(p.sigma), [B, D]);
        break;
      case 'fixed':
        c = expand(tensor([cv.value], [1, 1], m1.backend), [B, D]);
        break;
      case 'schedule': {
        if (!t || t.length !== B)
          throw new Error(`posteriorMean: a schedule needs t for each of the ${B} rows`);
        c = expand(
          tensor(
            Float32Array.from(t, (ti) => cv.fn(ti)),
            [B, 1],
            m1.backend,
          ),
          [B, D],
        );
        break;
      }
      case 'cv': {
        const x1c = sub(p.x1, reshape(m1, [B, 1, D]));
        const sc = sub(s, reshape(ms, [B, 1, D]));
        c = controlVariateCoefficient(square(w3), x1c, sc, cv.ridge ?? 1e-4, cv.clip ?? 2);
        break;
      }
    }
    const m = add(m1, mul(c, ms));
    const diagnostics: PosteriorMeanDiagnostics = {
      ess: mean(unary(sum(square(w), 1), 'recip')).item(),
      meanC: mean(c).item(),
      maxWeight: mean(max(w, 1)).item(),
      logitSpread: mean(sub(max(logits, 1), min(logits, 1))).item(),
    };
    return { mean: m, c, weights: w, diagnostics };
  });
}

/**
 * posteriorMean in one kernel, where the backend has it (the same formulas, each row in double):
 * null otherwise. c for the fixed kinds is made here, rounded to float32 as the composition's.
 */
function fusedPosteriorMean(
  p: ReverseProposals,
  logValues: Tensor,
  logGrads: Tensor,
  cv: ControlVariate,
  t?: ArrayLike<number>,
): PosteriorMeanResult | null {
  const [B, K, D] = p.x1.shape;
  const be = p.x1.backend;
  const kernel = be.posteriorMean;
  const inputs = [p.x0, logValues, logGrads, p.aOverB, p.sigma];
  if (
    !kernel ||
    inputs.some((x) => x.backend !== be || x.disposed) ||
    p.x0.size !== B * K * D ||
    logValues.size !== B * K ||
    logGrads.size !== B * K * D ||
    p.aOverB.size !== B ||
    p.sigma.size !== B
  )
    return null;
  let cRow: Float32Array | null = null;
  switch (cv.kind) {
    case 'ne':
      cRow = new Float32Array(B);
      break;
    case 'ge':
      cRow = square(reshape(p.sigma, [B])).toArray();
      break;
    case 'fixed':
      cRow = new Float32Array(B).fill(cv.value);
      break;
    case 'schedule':
      if (!t || t.length !== B)
        throw new Error(`posteriorMean: a schedule needs t for each of the ${B} rows`);
      cRow = Float32Array.from(t, (ti) => cv.fn(ti));
      break;
    case 'cv':
      break;
  }
  // the kernel writes every value of m, c and w
  const m = empty([B, D], be);
  const c = empty([B, D], be);
  const w = empty([B, K], be);
  const diagnostics = kernel.call(
    be,
    p.x1.storage,
    p.x0.storage,
    logValues.storage,
    logGrads.storage,
    p.aOverB.storage,
    cRow ? tensor(cRow, [B], be).storage : null,
    m.storage,
    c.storage,
    w.storage,
    B,
    K,
    D,
    cv.kind === 'cv' ? (cv.ridge ?? 1e-4) : 0,
    cv.kind === 'cv' ? (cv.clip ?? 2) : 0,
  );
  return { mean: m, c, weights: w, diagnostics };
}

/**
 * The whole estimator for one batch: proposals, log-target values and gradients (autodiff),
 * and m_hat. xt [B, D]; a, b [B, 1].
 */
export function estimatePosteriorMean(
  l: LogTarget,
  xt: Tensor,
  a: Tensor,
  b: Tensor,
  K: number,
  cv: ControlVariate,
  rng: Rng,
  t?: ArrayLike<number>,
): PosteriorMeanResult & { proposals: ReverseProposals } {
  const p = reverseProposals(xt, a, b, K, rng);
  const [B, , D] = p.x1.shape;
  const { value, grad: g } = logTargetValueAndGrad(l, reshape(p.x1, [B * K, D]));
  return { ...posteriorMean(p, value, g, cv, t), proposals: p };
}
