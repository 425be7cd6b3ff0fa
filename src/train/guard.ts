/**
 * The divergence guard. Every train.guardEvery gradient updates (and before every checkpoint, and
 * whenever the agent throws) the loop checks the agent's whole state:
 *
 *   - every parameter and target-network value must be finite with |x| <= train.divergenceThreshold;
 *   - every optimiser moment (names `<prefix>.mu.<i>` / `<prefix>.nu.<i>`, see
 *     src/agents/checkpoint-state.ts) must be finite (second moments are squared gradients, so
 *     their size says little; Inf or NaN there poisons the next step).
 *
 * The update's own metrics are computed before the optimiser step, so a finite loss does not mean
 * finite weights; checking the state itself is what keeps a blown-up network out of checkpoints.
 * A checkpoint is written only after the same check passed, so the newest checkpoint that loads
 * is also the newest good one; `rfm train --resume RUN` continues from it.
 */
import type { NamedArray } from '../nn/index.ts';

/** Training stopped on a non-finite or exploding quantity; the message is one line. */
export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
}

/** What the guard found wrong (the first offending tensor in name order). */
export interface StateProblem {
  /** e.g. "parameter critic.q1.layers.0.weight" or "optimiser moment optim.critic.nu.3". */
  readonly quantity: string;
  /** The offending value (NaN, ±Infinity, or the largest magnitude). */
  readonly value: number;
  /** Why it stops the run, e.g. "is NaN" or "reached |x| = 3.1e+07 > train.divergenceThreshold (1e+06)". */
  readonly reason: string;
}

const MOMENT = /\.(mu|nu)\.\d+$/;

/** True for an optimiser moment's name (checked for finiteness only). */
export const isOptimiserMoment = (name: string): boolean => MOMENT.test(name);

/** Largest |x| of `data`, or its first non-finite element. */
function scan(data: Float32Array): number {
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]);
    // one comparison on the common path; NaN fails it too
    if (!(a <= max)) {
      if (a !== a || a === Infinity) return data[i];
      max = a;
    }
  }
  return max;
}

/**
 * Checks an agent's tensors (AgentState.tensors, or a checkpoint's 'agent.' entries with the
 * prefix removed). `threshold` Infinity checks finiteness only. Returns null when all is well.
 */
export function checkAgentTensors(
  tensors: ReadonlyMap<string, NamedArray>,
  threshold: number,
): StateProblem | null {
  for (const name of [...tensors.keys()].sort()) {
    const moment = isOptimiserMoment(name);
    const v = scan(tensors.get(name)!.data);
    const quantity = `${moment ? 'optimiser moment' : 'parameter'} ${name}`;
    if (!Number.isFinite(v)) return { quantity, value: v, reason: `is ${v}` };
    if (!moment && v > threshold) {
      return {
        quantity,
        value: v,
        reason: `reached |x| = ${v.toExponential(2)} > train.divergenceThreshold (${threshold.toExponential(0)})`,
      };
    }
  }
  return null;
}
