/**
 * Base class for environments simulated by MuJoCo, in the manner of Gymnasium's `MujocoEnv`.
 *
 * What the base class does:
 *  - owns one `MujocoData` of a shared, cached `MujocoModel` (see runtime.ts) and frees it in `close()`;
 *  - `frameSkip` / `dt = timestep * frameSkip`;
 *  - `initQpos` = the model's qpos0 and `initQvel` = zeros (Gymnasium's init_qpos / init_qvel);
 *  - the action space from the actuators' ctrlrange (float32-rounded bounds, like Gymnasium's float32 Box);
 *  - `reset({ seed })`: seeds the env's generator when a seed is given (later resets continue its stream),
 *    runs `mj_resetData`, then the subclass's `resetModel()`, which normally ends with `setState(qpos, qvel)`;
 *    an unknown option or a seed that is not a non-negative safe integer is an Error naming the env;
 *  - `step()` before the first reset, or after a step returned terminated without a reset in between,
 *    is an Error naming the env (the subclass's step is wrapped once in the constructor);
 *  - `doSimulation(action)`: validates the action (length, finiteness: an Error naming the env otherwise),
 *    writes ctrl unclipped, `frameSkip` x mj_step, then (by default) `mj_rnePostConstraint`.
 *
 * What a subclass provides: `resetModel()` returning the reset observation, and `step(action)`.
 * Noise helpers (`uniformNoise`, `normalNoise`) draw from the env's seeded generator.
 */
import { assertResetOptions, Box, stepAfterEndError, stepBeforeResetError } from '../core.ts';
import type { Env, Info, ResetOptions, StepResult } from '../core.ts';
import type { MujocoData, MujocoModel } from './runtime.ts';
import { SeededRng, entropySeed } from './seeding.ts';
import type { NoiseSource } from './seeding.ts';

export interface MujocoEnvConfig {
  /** Registered id, used in error messages (e.g. 'Hopper-v5'). */
  id: string;
  /** A model from `loadModel()`; shared, never freed by the env. */
  model: MujocoModel;
  /** mj_step calls per env step. */
  frameSkip: number;
  /** The observation space (usually an unbounded Box of the observation size). */
  observationSpace: Box;
  /** Overrides the action space derived from the actuators' ctrlrange. */
  actionSpace?: Box;
}

/** An action check shared by MuJoCo envs: right length, every element a finite number. Throws otherwise. */
export function checkAction(envId: string, action: ArrayLike<number>, size: number): void {
  if (action == null || typeof action.length !== 'number') {
    throw new Error(`${envId}: action must be an array of ${size} numbers, got ${String(action)}`);
  }
  if (action.length !== size) {
    throw new Error(`${envId}: action has length ${action.length}, expected ${size}`);
  }
  for (let i = 0; i < size; i++) {
    const a = action[i];
    if (typeof a !== 'number' || !Number.isFinite(a)) {
      throw new Error(
        `${envId}: action[${i}] is ${String(a)}; every element must be a finite number`,
      );
    }
  }
}

/** The action space Gymnasium builds from ctrlrange: float32 bounds, returned as float64 values. */
export function actionSpaceFromModel(model: MujocoModel): Box {
  const r = model.view('actuator_ctrlrange');
  const low = new Float64Array(model.nu);
  const high = new Float64Array(model.nu);
  for (let i = 0; i < model.nu; i++) {
    low[i] = Math.fround(r[2 * i]);
    high[i] = Math.fround(r[2 * i + 1]);
  }
  return new Box(low, high);
}

export abstract class MujocoEnv implements Env {
  readonly id: string;
  readonly model: MujocoModel;
  readonly data: MujocoData;
  readonly frameSkip: number;
  /** Seconds of simulated time per env step. */
  readonly dt: number;
  readonly observationSpace: Box;
  readonly actionSpace: Box;
  /** qpos0 of the model (copy). */
  readonly initQpos: Float64Array;
  /** Zeros of length nv. */
  readonly initQvel: Float64Array;
  private rngState: NoiseSource | undefined;
  private closed = false;
  /** 'idle' until the first reset, 'ended' once a step returned terminated (until the next reset). */
  private episode: 'idle' | 'running' | 'ended' = 'idle';

  constructor(config: MujocoEnvConfig) {
    if (!Number.isInteger(config.frameSkip) || config.frameSkip < 1) {
      throw new Error(
        `${config.id}: frameSkip must be a positive integer, got ${config.frameSkip}`,
      );
    }
    this.id = config.id;
    this.model = config.model;
    this.frameSkip = config.frameSkip;
    this.dt = config.model.timestep * config.frameSkip;
    this.observationSpace = config.observationSpace;
    this.actionSpace = config.actionSpace ?? actionSpaceFromModel(config.model);
    this.initQpos = config.model.copy('qpos0');
    this.initQvel = new Float64Array(config.model.nv);
    this.data = config.model.createData();
    // Every subclass's step() goes through the episode checks: step before reset, or after a
    // terminated step without a reset, is an error (as for the classic tasks). The subclass's
    // method is wrapped here, once, rather than each task repeating the bookkeeping.
    const self = this as unknown as { step(action: ArrayLike<number>): StepResult };
    const taskStep = self.step;
    self.step = (action: ArrayLike<number>): StepResult => {
      if (this.episode === 'idle') throw stepBeforeResetError(this.id);
      if (this.episode === 'ended') throw stepAfterEndError(this.id);
      const out = taskStep.call(this, action);
      if (out[2]) this.episode = 'ended';
      return out;
    };
  }

  /** Gymnasium's `metadata.render_fps`: round(1 / dt). */
  get renderFps(): number {
    return Math.round(1 / this.dt);
  }

  /** The env's generator; created from OS entropy on first use if `reset` was never given a seed. */
  protected get rng(): NoiseSource {
    if (!this.rngState) this.rngState = new SeededRng(entropySeed());
    return this.rngState;
  }

  /** Replaces the generator (seeding); `reset({ seed })` calls this. */
  seed(seed: number): void {
    this.rngState = new SeededRng(seed);
  }

  reset(options?: ResetOptions): [obs: Float64Array, info: Info] {
    this.assertOpen();
    assertResetOptions(this.id, options);
    if (options?.seed !== undefined) this.seed(options.seed);
    this.data.reset();
    const obs = this.resetModel();
    this.episode = 'running';
    return [obs, this.resetInfo()];
  }

  abstract step(action: ArrayLike<number>): StepResult;

  /** Draws the reset state, calls `setState`, and returns the observation. */
  protected abstract resetModel(): Float64Array;

  /** The info returned by `reset()`. */
  protected resetInfo(): Info {
    return {};
  }

  /** Writes qpos/qvel, then mj_forward (Gymnasium's `set_state`). */
  setState(qpos: ArrayLike<number>, qvel: ArrayLike<number>): void {
    this.assertOpen();
    this.data.setState(qpos, qvel);
  }

  /** Validates the action, writes it to ctrl, steps `frameSkip` times, then `mj_rnePostConstraint` unless told not to. */
  protected doSimulation(action: ArrayLike<number>, postConstraint = true): void {
    this.assertOpen();
    checkAction(this.id, action, this.actionSpace.size);
    this.data.setControl(action);
    this.data.step(this.frameSkip);
    if (postConstraint) this.data.rnePostConstraint();
  }

  /** `base + U(-scale, scale)` elementwise, from the env's generator. */
  protected uniformNoise(base: ArrayLike<number>, scale: number): Float64Array {
    const out = new Float64Array(base.length);
    const rng = this.rng;
    for (let i = 0; i < out.length; i++) out[i] = base[i] + rng.uniform(-scale, scale);
    return out;
  }

  /** `base + scale * N(0, 1)` elementwise, from the env's generator. */
  protected normalNoise(base: ArrayLike<number>, scale: number): Float64Array {
    const out = new Float64Array(base.length);
    const rng = this.rng;
    for (let i = 0; i < out.length; i++) out[i] = base[i] + scale * rng.normal();
    return out;
  }

  /** Copies of the current qpos and qvel. */
  getState(): { qpos: Float64Array; qvel: Float64Array } {
    return { qpos: this.data.copy('qpos'), qvel: this.data.copy('qvel') };
  }

  /** Frees the env's MjData (the shared model stays cached). Calling it twice is harmless. */
  close(): void {
    if (!this.closed) {
      this.closed = true;
      this.data.free();
    }
  }

  protected assertOpen(): void {
    if (this.closed) throw new Error(`${this.id}: the environment was closed`);
  }
}
