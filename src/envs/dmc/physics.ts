/**
 * What the DMC tasks need on top of the shared MuJoCo runtime (src/envs/mujoco/runtime.ts):
 *  - dm_control's stepping: n x mj_step followed by mj_step1, so that positions, orientations and
 *    position/velocity-stage sensors describe the state *after* the step (plain mj_step leaves them at the
 *    pre-integration state);
 *  - mj_forward with actuation disabled (what dm_control runs during reset);
 *  - small named accessors (body/geom/site poses, sensors, joint addresses);
 *  - `randomizeLimitedAndRotationalJoints`, the suite's usual initial-state randomiser.
 */
import type { MujocoData, MujocoModel } from '../mujoco/runtime.ts';

/** MuJoCo's mjDSBL_ACTUATION disable bit. */
const DISABLE_ACTUATION = 2048;

/** Joint type codes (mjtJoint). */
export const JNT_FREE = 0;
export const JNT_BALL = 1;
export const JNT_SLIDE = 2;
export const JNT_HINGE = 3;

/** A uniform/normal source (the env's seeded generator). */
export interface RandomSource {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
}

export const uniformIn = (rng: RandomSource, low: number, high: number): number =>
  low + (high - low) * rng.uniform();

export class DmcPhysics {
  readonly model: MujocoModel;
  readonly data: MujocoData;

  constructor(model: MujocoModel, data: MujocoData) {
    this.model = model;
    this.data = data;
  }

  /** n x mj_step, then mj_step1 (dm_control's legacy stepping, bit-identical to its step2/step/step1 sequence). */
  step(n: number): void {
    const mj = this.model.mj;
    const m = this.model.raw;
    const d = this.data.raw;
    for (let i = 0; i < n; i++) mj.mj_step(m, d);
    mj.mj_step1(m, d);
  }

  /** n x mj_step with nothing after (used for settling). */
  rawStep(n: number): void {
    const mj = this.model.mj;
    const m = this.model.raw;
    const d = this.data.raw;
    for (let i = 0; i < n; i++) mj.mj_step(m, d);
  }

  /** mj_forward. */
  forward(): void {
    this.data.forward();
  }

  /**
   * mj_forward with the actuation disable flag set for the duration of the call, as dm_control does at reset.
   * The model is shared, but the flag is restored before returning and JS runs this synchronously.
   */
  forwardWithoutActuation(): void {
    const opt = this.model.raw.opt;
    try {
      const saved = opt.disableflags;
      opt.disableflags = saved | DISABLE_ACTUATION;
      try {
        this.data.forward();
      } finally {
        opt.disableflags = saved;
      }
    } finally {
      opt.delete();
    }
  }

  get ncon(): number {
    return this.data.raw.ncon;
  }

  get time(): number {
    return this.data.raw.time;
  }

  set time(t: number) {
    this.data.raw.time = t;
  }

  qpos(): Float64Array {
    return this.data.view('qpos');
  }

  qvel(): Float64Array {
    return this.data.view('qvel');
  }

  ctrl(): Float64Array {
    return this.data.view('ctrl');
  }

  /** Row-major 3x3 body rotation (body to world): element (r, c) of body `id`. */
  xmat(id: number, r: number, c: number): number {
    return this.data.view('xmat')[9 * id + 3 * r + c];
  }

  /** Body frame origin, component k. */
  xpos(id: number, k: number): number {
    return this.data.view('xpos')[3 * id + k];
  }

  /** Body centre of mass, component k. */
  xipos(id: number, k: number): number {
    return this.data.view('xipos')[3 * id + k];
  }

  geomXpos(id: number, k: number): number {
    return this.data.view('geom_xpos')[3 * id + k];
  }

  geomXmat(id: number, r: number, c: number): number {
    return this.data.view('geom_xmat')[9 * id + 3 * r + c];
  }

  siteXpos(id: number, k: number): number {
    return this.data.view('site_xpos')[3 * id + k];
  }

  /** Address of a named sensor's first value in sensordata. */
  sensorAdr(name: string): number {
    const id = this.model.id('sensor', name);
    return this.model.raw.sensor_adr[id];
  }

  sensordata(): Float64Array {
    return this.data.view('sensordata');
  }

  jointQposAdr(name: string): number {
    return this.model.raw.jnt_qposadr[this.model.id('joint', name)];
  }

  jointDofAdr(name: string): number {
    return this.model.raw.jnt_dofadr[this.model.id('joint', name)];
  }

  bodyId(name: string): number {
    return this.model.id('body', name);
  }

  geomId(name: string): number {
    return this.model.id('geom', name);
  }

  siteId(name: string): number {
    return this.model.id('site', name);
  }

  /**
   * The suite's `randomize_limited_and_rotational_joints`: joints in model order; limited hinge/slide ->
   * uniform in range; unlimited hinge -> uniform(-pi, pi); free joint -> orientation from a normalised
   * uniform [0,1)^4 draw (position untouched); limited ball -> random axis, angle uniform in [0, range max);
   * unlimited ball -> normalised normal 4-vector; unlimited slide untouched. Writes qpos (no forward).
   */
  randomizeLimitedAndRotationalJoints(rng: RandomSource): void {
    const m = this.model.raw;
    const qpos = this.qpos();
    for (let j = 0; j < m.njnt; j++) {
      const type = m.jnt_type[j];
      const limited = m.jnt_limited[j] !== 0;
      const lo = m.jnt_range[2 * j];
      const hi = m.jnt_range[2 * j + 1];
      const a = m.jnt_qposadr[j];
      if (type === JNT_HINGE || type === JNT_SLIDE) {
        if (limited) qpos[a] = uniformIn(rng, lo, hi);
        else if (type === JNT_HINGE) qpos[a] = uniformIn(rng, -Math.PI, Math.PI);
      } else if (type === JNT_BALL) {
        if (limited) {
          const axis = [rng.normal(), rng.normal(), rng.normal()];
          const n = Math.hypot(axis[0], axis[1], axis[2]) || 1;
          const angle = rng.uniform() * hi;
          const s = Math.sin(angle / 2);
          qpos[a] = Math.cos(angle / 2);
          for (let k = 0; k < 3; k++) qpos[a + 1 + k] = (s * axis[k]) / n;
        } else {
          writeQuat(qpos, a, [rng.normal(), rng.normal(), rng.normal(), rng.normal()]);
        }
      } else if (type === JNT_FREE) {
        writeQuat(qpos, a + 3, [rng.uniform(), rng.uniform(), rng.uniform(), rng.uniform()]);
      }
    }
  }
}

/** Writes the normalised 4-vector q into a[at..at+4). */
export function writeQuat(a: Float64Array, at: number, q: readonly number[]): void {
  const n = Math.hypot(q[0], q[1], q[2], q[3]) || 1;
  for (let k = 0; k < 4; k++) a[at + k] = q[k] / n;
}

/** A uniformly random unit quaternion (normalised standard normal 4-vector), as the suite draws it. */
export function randomQuat(rng: RandomSource): number[] {
  const q = [rng.normal(), rng.normal(), rng.normal(), rng.normal()];
  const n = Math.hypot(q[0], q[1], q[2], q[3]) || 1;
  return q.map((x) => x / n);
}
