/**
 * Acting in the environment's own units (Stable-Baselines3's `model.predict`): agents act in
 * [-1, 1]^d on the observations the training stack gave them; `predict` takes a raw observation of
 * the bare environment, normalises it as training did (when `train.normalizeObs`, with the frozen
 * statistics), and maps the action to the environment's bounds (the stack's RescaleAction).
 */
import { float32Obs, type ActOptions, type Agent, type Observation } from '../agents/index.ts';
import { findWrapper, RescaleAction } from '../envs/wrappers.ts';
import type { EnvStack } from './env.ts';

/** `predict(obs, { deterministic })`: actions of one or more raw observations, in env units. */
export type Predict = (
  obs: Observation | readonly number[],
  opts?: Partial<ActOptions>,
) => Float64Array;

/**
 * `predict` for `agent` on the environment stack it was trained with (deterministic unless told
 * otherwise). The stack's normaliser is read, never updated.
 */
export function predictor(agent: Agent, stack: EnvStack): Predict {
  const rescale = findWrapper(stack.env, RescaleAction);
  if (!rescale)
    throw new Error(
      'predictor: the environment stack has no RescaleAction (build it with buildEnv)',
    );
  const A = agent.actDim;
  return (obs, opts = {}) => {
    const raw =
      obs instanceof Float32Array || obs instanceof Float64Array ? obs : Float64Array.from(obs);
    if (raw.length === 0 || raw.length % agent.obsDim !== 0) {
      throw new Error(
        `predict: observations of ${raw.length} values are not rows of ${agent.obsDim}`,
      );
    }
    let input: Observation = raw;
    if (stack.normalizer) {
      const rows = new Float64Array(raw.length);
      for (let r = 0; r < raw.length; r += agent.obsDim)
        rows.set(stack.normalizer.normalize(raw.subarray(r, r + agent.obsDim)), r);
      input = rows;
    }
    const action = agent.act(float32Obs(input), { deterministic: opts.deterministic ?? true });
    const out = new Float64Array(action.length);
    for (let r = 0; r < action.length; r += A)
      out.set(rescale.action(action.subarray(r, r + A)), r);
    return out;
  };
}
