/**
 * The DeepMind Control Suite episode protocol on top of the shared MuJoCo env base class.
 *
 * reset({ seed }):  mj_resetData; mj_forward (actuation off); task.initializeEpisode (random state, drawn from
 *                   the env's seeded generator); mj_forward (actuation off); observation.
 * step(action):     action checked (length, finite: an Error naming the env otherwise); written to ctrl
 *                   unclipped (MuJoCo clamps it to ctrlrange when computing forces; rewards that penalise
 *                   control see the raw value, as in dm_control); nSubSteps x mj_step, then mj_step1;
 *                   reward in [0, 1]; observation. Never terminates: the 1000-step limit is applied by the
 *                   registry's TimeLimit wrapper as truncation. If the simulation diverges (MuJoCo meets a
 *                   NaN/Inf/huge value and resets itself), step throws DmcPhysicsError, as dm_control does.
 *
 * Observations are one Float64Array: dm_control's observation dict flattened in its insertion order
 * (`observationOrder: 'dm_control'`, the default) or with the keys sorted alphabetically
 * (`observationOrder: 'sorted'`, what gymnasium-style Dict flattening and the RFM authors' code produce).
 * `observationLayout` lists the key, offset and size of every block.
 */
import { Box } from '../core.ts';
import type { Info, StepResult } from '../core.ts';
import { MujocoEnv, checkAction } from '../mujoco/mujoco-env.ts';
import type { NoiseSource } from '../mujoco/seeding.ts';
import { entropySeed } from '../mujoco/seeding.ts';
import { loadModel } from '../mujoco/runtime.ts';
import type { MujocoModel } from '../mujoco/runtime.ts';
import { Rng } from '../../engine/rng.ts';
import { DmcPhysics } from './physics.ts';
import type { RandomSource } from './physics.ts';

/** The simulation diverged during a step (dm_control's PhysicsError). The env must be reset. */
export class DmcPhysicsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DmcPhysicsError';
  }
}

export type ObservationOrder = 'dm_control' | 'sorted';

/** One block of the flat observation vector. */
export interface ObservationBlock {
  readonly key: string;
  readonly offset: number;
  readonly size: number;
}

/** Per-env task logic. Created once per env (it may cache ids and hold per-episode state). */
export interface Task {
  /** Draws the initial state (writes qpos/qvel etc.). Runs between two actuation-free forwards. */
  initializeEpisode(physics: DmcPhysics, rng: RandomSource): void;
  /** Writes every observation block, keyed by name, with `put(key, values)`. */
  observe(physics: DmcPhysics, put: (key: string, values: ArrayLike<number>) => void): void;
  /** Reward in [0, 1] for the current state (and raw controls). */
  reward(physics: DmcPhysics): number;
  /** Extra step info (optional). */
  info?(physics: DmcPhysics): Info;
}

export interface DmcTaskSpec {
  /** Registered id, e.g. 'walker-walk'. */
  readonly id: string;
  /** Model name for the runtime's cache and error messages. */
  readonly modelName: string;
  readonly xml: string;
  /** mj_step calls per environment step. */
  readonly nSubSteps: number;
  readonly summary: string;
  /** Observation keys and sizes in dm_control's insertion order. */
  readonly observationKeys: ReadonlyArray<readonly [key: string, size: number]>;
  readonly createTask: (physics: DmcPhysics) => Task;
}

export interface DmcEnvOptions {
  observationOrder?: ObservationOrder;
}

/** Adapts the engine's counter-based generator to the noise interfaces used here and in the base class. */
class RngSource implements RandomSource, NoiseSource {
  constructor(private readonly r: Rng) {}
  uniform(): number;
  uniform(low: number, high: number): number;
  uniform(low?: number, high?: number): number {
    const u = this.r.uniform();
    return low === undefined || high === undefined ? u : low + (high - low) * u;
  }
  random(): number {
    return this.r.uniform();
  }
  normal(mean = 0, std = 1): number {
    return mean + std * this.r.normal();
  }
}

export class DmcEnv extends MujocoEnv {
  readonly physics: DmcPhysics;
  readonly task: Task;
  /** mj_step calls per environment step. */
  readonly nSubSteps: number;
  readonly observationOrder: ObservationOrder;
  /** Where each observation key lives in the flat vector (in the order chosen). */
  readonly observationLayout: readonly ObservationBlock[];
  private readonly offsets: Map<string, ObservationBlock>;
  private source: RngSource | undefined;

  constructor(spec: DmcTaskSpec, model: MujocoModel, options: DmcEnvOptions = {}) {
    const order = options.observationOrder ?? 'dm_control';
    if (order !== 'dm_control' && order !== 'sorted') {
      throw new Error(
        `${spec.id}: observationOrder must be 'dm_control' or 'sorted', got ${String(order)}`,
      );
    }
    const keys = [...spec.observationKeys];
    if (order === 'sorted') keys.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const layout: ObservationBlock[] = [];
    let size = 0;
    for (const [key, n] of keys) {
      layout.push({ key, offset: size, size: n });
      size += n;
    }
    // Action bounds: the actuators' ctrlrange as compiled (float64, not rounded to float32).
    const ctrlrange = model.view('actuator_ctrlrange');
    const low = new Float64Array(model.nu);
    const high = new Float64Array(model.nu);
    for (let i = 0; i < model.nu; i++) {
      low[i] = ctrlrange[2 * i];
      high[i] = ctrlrange[2 * i + 1];
    }
    super({
      id: spec.id,
      model,
      frameSkip: spec.nSubSteps,
      observationSpace: new Box(-Infinity, Infinity, [size]),
      actionSpace: new Box(low, high),
    });
    this.nSubSteps = spec.nSubSteps;
    this.observationOrder = order;
    this.observationLayout = layout;
    this.offsets = new Map(layout.map((b) => [b.key, b]));
    this.physics = new DmcPhysics(model, this.data);
    this.task = spec.createTask(this.physics);
  }

  /** Seeds the env's generator (the engine's counter-based Rng); later resets continue its stream. */
  override seed(seed: number): void {
    this.source = new RngSource(new Rng(seed));
  }

  protected override get rng(): NoiseSource {
    return this.randomSource();
  }

  private randomSource(): RngSource {
    if (!this.source) this.source = new RngSource(new Rng(entropySeed()));
    return this.source;
  }

  protected resetModel(): Float64Array {
    const physics = this.physics;
    physics.forwardWithoutActuation();
    this.task.initializeEpisode(physics, this.randomSource());
    physics.forwardWithoutActuation();
    return this.observe();
  }

  step(action: ArrayLike<number>): StepResult {
    this.assertOpen();
    checkAction(this.id, action, this.actionSpace.size);
    this.data.setControl(action);
    const t0 = this.data.time;
    this.physics.step(this.nSubSteps);
    // MuJoCo resets the state by itself (restarting the clock) when it meets a NaN, an Inf or a huge value in
    // qpos/qvel/qacc. dm_control raises PhysicsError then; so do we, rather than continue from a silent reset.
    const expected = t0 + this.nSubSteps * this.model.timestep;
    if (!(Math.abs(this.data.time - expected) <= 1e-9 * Math.max(1, expected))) {
      throw new DmcPhysicsError(
        `${this.id}: the simulation became unstable (MuJoCo met a NaN, Inf or huge value and reset its state); ` +
          'reset the environment before stepping again',
      );
    }
    const reward = this.task.reward(this.physics);
    const obs = this.observe();
    const info = this.task.info ? this.task.info(this.physics) : {};
    return [obs, reward, false, false, info];
  }

  /** The current observation (a fresh copy). */
  observe(): Float64Array {
    const out = new Float64Array(this.observationSpace.size);
    let written = 0;
    this.task.observe(this.physics, (key, values) => {
      const block = this.offsets.get(key);
      if (!block) throw new Error(`${this.id}: task produced unknown observation key '${key}'`);
      if (values.length !== block.size) {
        throw new Error(
          `${this.id}: observation '${key}' has ${values.length} values, expected ${block.size}`,
        );
      }
      for (let i = 0; i < block.size; i++) out[block.offset + i] = values[i];
      written++;
    });
    if (written !== this.offsets.size)
      throw new Error(
        `${this.id}: task wrote ${written} observation blocks, expected ${this.offsets.size}`,
      );
    return out;
  }
}

/** Builds an env of a task spec (loads the shared model once per process). */
export async function makeDmcEnv(
  spec: DmcTaskSpec,
  options: Record<string, unknown> = {},
): Promise<DmcEnv> {
  const model = await loadModel(spec.modelName, spec.xml);
  return new DmcEnv(spec, model, {
    observationOrder: options.observationOrder as ObservationOrder | undefined,
  });
}
