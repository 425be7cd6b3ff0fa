/**
 * The shared MuJoCo runtime (official WebAssembly build, npm `mujoco-js`).
 *
 * One wasm module per process, loaded lazily and shared by every MuJoCo environment; one compiled
 * model per distinct XML text, shared by every environment of that model; one `MjData` per environment.
 *
 * Typical use (what `MujocoEnv` does):
 *
 *   const model = await loadModel('Hopper', HOPPER_XML); // compiles once, cached by (name, xml)
 *   const data = model.createData();                      // an MjData of its own; free it with data.free()
 *   data.setState(qpos, qvel);                            // write qpos/qvel, then mj_forward
 *   data.setControl(action);
 *   data.step(4);                                         // 4 x mj_step
 *   data.rnePostConstraint();                             // fills cacc / cfrc_int / cfrc_ext
 *   const obs = data.copy('qpos', 1, 6);                  // Float64Array copy out of wasm memory
 *
 * Memory rules: views into wasm memory (`data.view('qpos')`) are live but become empty (detached) when the
 * wasm heap grows; `view()` re-creates them when that happens, so take a view right before use and never keep
 * one across an allocation. Everything returned by `copy*` is plain JS memory. Models stay cached for the life of
 * the process (a handful of small objects); each `MujocoData` must be freed by its owner (`Env.close()`).
 *
 * Errors: a model that fails to compile throws `MujocoLoadError` naming the model and carrying MuJoCo's message
 * where the wasm build reports one; a failure to load the wasm module itself throws `MujocoLoadError` too.
 */
import loadMujocoModule from 'mujoco-js';
import type { MainModule, MjData, MjModel } from 'mujoco-js';

export type MujocoModule = MainModule;

/** Thrown when the wasm module cannot be loaded or a model cannot be compiled. */
export class MujocoLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MujocoLoadError';
  }
}

// ------------------------------------------------------------------------------------------------
// The module: loaded once per process.

let modulePromise: Promise<MujocoModule> | undefined;
let loadedModule: MujocoModule | undefined;
/** Lines the module printed (to stdout or stderr) since the last `takeLog()`: MuJoCo's error and warning texts. */
let printed: string[] = [];

function takeLog(): string {
  const s = printed.join('\n');
  printed = [];
  return s;
}

/**
 * Loads the MuJoCo wasm module on the first call and returns the same instance on every later call.
 * A failed load is not cached: a later call tries again.
 */
export function loadMujoco(): Promise<MujocoModule> {
  if (!modulePromise) {
    const push = (s: unknown) => {
      printed.push(String(s));
      if (printed.length > 200) printed.shift();
    };
    modulePromise = loadMujocoModule({ print: push, printErr: push })
      .then((mj) => {
        loadedModule = mj;
        return mj;
      })
      .catch((err: unknown) => {
        modulePromise = undefined;
        throw new MujocoLoadError(
          `could not load the MuJoCo wasm module (mujoco-js): ${describe(err)}`,
          { cause: err },
        );
      });
  }
  return modulePromise;
}

/** The module if `loadMujoco()` has already finished, else undefined. */
export function mujocoIfLoaded(): MujocoModule | undefined {
  return loadedModule;
}

/** MuJoCo's version string, e.g. "3.3.8". */
export async function mujocoVersion(): Promise<string> {
  return (await loadMujoco()).mj_versionString();
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message ? `${err.name}: ${err.message}` : err.name;
  if (err && typeof err === 'object' && 'name' in err)
    return String((err as { name: unknown }).name);
  return String(err);
}

// ------------------------------------------------------------------------------------------------
// Data field views.

/** MjData arrays this library reads or writes (all are float64 in MuJoCo). */
export type DataField =
  | 'qpos'
  | 'qvel'
  | 'qacc'
  | 'qacc_warmstart'
  | 'ctrl'
  | 'act'
  | 'xpos'
  | 'xquat'
  | 'xmat'
  | 'xipos'
  | 'ximat'
  | 'geom_xpos'
  | 'geom_xmat'
  | 'site_xpos'
  | 'site_xmat'
  | 'subtree_com'
  | 'cinert'
  | 'cvel'
  | 'cacc'
  | 'cfrc_int'
  | 'cfrc_ext'
  | 'qfrc_actuator'
  | 'qfrc_constraint'
  | 'qfrc_bias'
  | 'qfrc_passive'
  | 'qfrc_applied'
  | 'xfrc_applied'
  | 'actuator_force'
  | 'actuator_length'
  | 'actuator_velocity'
  | 'ten_length'
  | 'ten_velocity'
  | 'sensordata'
  | 'mocap_pos'
  | 'mocap_quat';

/** MjModel float64 arrays commonly read. */
export type ModelField =
  | 'qpos0'
  | 'qpos_spring'
  | 'body_mass'
  | 'body_inertia'
  | 'body_ipos'
  | 'body_pos'
  | 'body_quat'
  | 'body_subtreemass'
  | 'jnt_range'
  | 'dof_damping'
  | 'dof_armature'
  | 'jnt_stiffness'
  | 'geom_size'
  | 'geom_friction'
  | 'geom_margin'
  | 'geom_rgba'
  | 'actuator_ctrlrange'
  | 'actuator_gear'
  | 'actuator_forcerange'
  | 'site_pos'
  | 'site_size'
  | 'cam_pos'
  | 'tendon_stiffness'
  | 'sensor_noise';

type Viewable = Record<string, unknown>;

/** A cache of typed-array views into wasm memory that re-creates a view once wasm memory growth detached it. */
class ViewCache {
  private readonly views = new Map<string, ArrayBufferView & ArrayLike<number>>();
  constructor(
    private readonly target: Viewable,
    private readonly label: string,
  ) {}
  get<T extends ArrayBufferView & ArrayLike<number>>(name: string): T {
    let v = this.views.get(name);
    if (v === undefined || v.byteLength === 0 || (v.buffer as ArrayBuffer).byteLength === 0) {
      const fresh = this.target[name];
      if (!ArrayBuffer.isView(fresh))
        throw new Error(`${this.label}: '${name}' is not an array field of MuJoCo`);
      v = fresh as ArrayBufferView & ArrayLike<number>;
      this.views.set(name, v);
    }
    return v as T;
  }
}

// ------------------------------------------------------------------------------------------------
// Models.

/** Object kinds accepted by `MujocoModel.id()` (MuJoCo's mjtObj). */
export type ObjectKind =
  'body' | 'joint' | 'dof' | 'geom' | 'site' | 'camera' | 'actuator' | 'sensor' | 'tendon';

const OBJ_ENUM: Record<ObjectKind, string> = {
  body: 'mjOBJ_BODY',
  joint: 'mjOBJ_JOINT',
  dof: 'mjOBJ_DOF',
  geom: 'mjOBJ_GEOM',
  site: 'mjOBJ_SITE',
  camera: 'mjOBJ_CAMERA',
  actuator: 'mjOBJ_ACTUATOR',
  sensor: 'mjOBJ_SENSOR',
  tendon: 'mjOBJ_TENDON',
};

/** A compiled MuJoCo model, shared (read-only) by all environments built from the same XML. */
export class MujocoModel {
  readonly mj: MujocoModule;
  /** The underlying MjModel. Treat as read-only: the instance is shared. */
  readonly raw: MjModel;
  /** The name given to `loadModel` (used in error messages). */
  readonly name: string;
  readonly nq: number;
  readonly nv: number;
  readonly nu: number;
  readonly na: number;
  readonly nbody: number;
  readonly njnt: number;
  readonly ngeom: number;
  readonly nsite: number;
  readonly ntendon: number;
  readonly nsensordata: number;
  readonly nmocap: number;
  /** `opt.timestep` as compiled. */
  readonly timestep: number;
  private readonly views: ViewCache;

  constructor(mj: MujocoModule, raw: MjModel, name: string) {
    this.mj = mj;
    this.raw = raw;
    this.name = name;
    this.nq = raw.nq;
    this.nv = raw.nv;
    this.nu = raw.nu;
    this.na = raw.na;
    this.nbody = raw.nbody;
    this.njnt = raw.njnt;
    this.ngeom = raw.ngeom;
    this.nsite = raw.nsite;
    this.ntendon = raw.ntendon;
    this.nsensordata = raw.nsensordata;
    this.nmocap = raw.nmocap;
    // Each `raw.opt` access wraps a new handle: read once and free it.
    const opt = raw.opt;
    try {
      this.timestep = opt.timestep;
    } finally {
      opt.delete();
    }
    this.views = new ViewCache(raw as unknown as Viewable, `model '${name}'`);
  }

  /** A live view of a model array (do not write; do not keep across allocations). */
  view(field: ModelField | (string & {})): Float64Array {
    return this.views.get<Float64Array>(field);
  }

  /** A copy of a model array (or of the slice [start, end)). */
  copy(field: ModelField | (string & {}), start = 0, end?: number): Float64Array {
    return this.view(field).slice(start, end);
  }

  /** Integer model arrays (e.g. 'jnt_type', 'body_parentid', 'jnt_qposadr'), copied out. */
  copyInt(field: string): Int32Array {
    return Int32Array.from(this.views.get<Int32Array>(field));
  }

  /** The id of a named object, or -1 if there is none. */
  idOrMinus1(kind: ObjectKind, name: string): number {
    const e = (this.mj.mjtObj as unknown as Record<string, { value: number }>)[OBJ_ENUM[kind]];
    return this.mj.mj_name2id(this.raw, e.value, name);
  }

  /** The id of a named object; throws naming the model if it does not exist. */
  id(kind: ObjectKind, name: string): number {
    const i = this.idOrMinus1(kind, name);
    if (i < 0) throw new Error(`MuJoCo model '${this.name}' has no ${kind} named '${name}'`);
    return i;
  }

  /** Sum of body masses. */
  totalMass(): number {
    const m = this.view('body_mass');
    let s = 0;
    for (let i = 0; i < m.length; i++) s += m[i];
    return s;
  }

  /** A new MjData for this model (qpos = qpos0, everything else zero). Free it with `free()`. */
  createData(): MujocoData {
    return new MujocoData(this);
  }
}

const modelCache = new Map<string, Promise<MujocoModel>>();
let fileCounter = 0;

/**
 * Compiles `xml` (MJCF text, no external assets) into a model, once per (name, xml) pair per process;
 * later calls return the cached model. Throws `MujocoLoadError` naming the model on failure (failures are not cached).
 */
export function loadModel(name: string, xml: string): Promise<MujocoModel> {
  const key = `${name}\u0000${xml}`;
  let p = modelCache.get(key);
  if (!p) {
    p = loadMujoco().then((mj) => compileModel(mj, name, xml));
    p.catch(() => modelCache.delete(key));
    modelCache.set(key, p);
  }
  return p;
}

/** Compiles without caching (synchronous once the module is loaded). Prefer `loadModel`. */
export function compileModel(mj: MujocoModule, name: string, xml: string): MujocoModel {
  const dir = '/rfm-models';
  try {
    mj.FS.mkdir(dir);
  } catch {
    // already there
  }
  const path = `${dir}/${name.replace(/[^A-Za-z0-9_.-]/g, '_')}-${++fileCounter}.xml`;
  takeLog();
  let raw: MjModel | null = null;
  let failure: unknown;
  try {
    mj.FS.writeFile(path, xml);
    raw = mj.MjModel.loadFromXML(path);
  } catch (err) {
    failure = err;
  } finally {
    try {
      mj.FS.unlink(path);
    } catch {
      // nothing to remove
    }
  }
  const log = takeLog().trim();
  if (!raw) {
    const what = failure !== undefined ? describe(failure) : 'MuJoCo returned no model';
    throw new MujocoLoadError(
      `MuJoCo could not compile model '${name}': ${what}${log ? ` (${log})` : ''}`,
      {
        cause: failure,
      },
    );
  }
  return new MujocoModel(mj, raw, name);
}

/** Number of compiled models held in the cache (for tests and diagnostics). */
export function cachedModelCount(): number {
  return modelCache.size;
}

// ------------------------------------------------------------------------------------------------
// Data.

/** One simulation state (MjData) of a model, with the helpers environments need. Owned by one environment. */
export class MujocoData {
  readonly model: MujocoModel;
  readonly mj: MujocoModule;
  private rawData: MjData | null;
  private readonly views: ViewCache;

  constructor(model: MujocoModel) {
    this.model = model;
    this.mj = model.mj;
    this.rawData = new model.mj.MjData(model.raw);
    this.views = new ViewCache(
      this.rawData as unknown as Viewable,
      `data of model '${model.name}'`,
    );
  }

  /** The underlying MjData; throws once freed. */
  get raw(): MjData {
    if (!this.rawData)
      throw new Error(`MuJoCo data of model '${this.model.name}' was already freed`);
    return this.rawData;
  }

  get time(): number {
    return this.raw.time;
  }

  /** A live Float64Array view of a data array. Re-take it after anything that may allocate in wasm. */
  view(field: DataField | (string & {})): Float64Array {
    if (!this.rawData)
      throw new Error(`MuJoCo data of model '${this.model.name}' was already freed`);
    return this.views.get<Float64Array>(field);
  }

  /** A Float64Array copy of a data array (or of its slice [start, end)). */
  copy(field: DataField | (string & {}), start = 0, end?: number): Float64Array {
    return this.view(field).slice(start, end);
  }

  /** Copies `field[start:end]` into `out` at `offset`; returns the offset after the last written element. */
  copyInto(
    out: Float64Array,
    offset: number,
    field: DataField | (string & {}),
    start = 0,
    end?: number,
  ): number {
    const v = this.view(field);
    const e = end ?? v.length;
    for (let i = start; i < e; i++) out[offset++] = v[i];
    return offset;
  }

  /** `mj_resetData`: qpos = qpos0, and qvel, ctrl, act, time, warm start and derived quantities zeroed. */
  reset(): void {
    this.mj.mj_resetData(this.model.raw, this.raw);
  }

  /** Writes qpos and qvel (lengths must be nq and nv), then runs `mj_forward`, as Gymnasium's `set_state`. */
  setState(qpos: ArrayLike<number>, qvel: ArrayLike<number>): void {
    const { nq, nv, name } = this.model;
    if (qpos.length !== nq)
      throw new Error(
        `setState on model '${name}': qpos has length ${qpos.length}, expected ${nq}`,
      );
    if (qvel.length !== nv)
      throw new Error(
        `setState on model '${name}': qvel has length ${qvel.length}, expected ${nv}`,
      );
    this.view('qpos').set(qpos);
    this.view('qvel').set(qvel);
    this.forward();
  }

  /** Writes the controls (length nu). No clamping here: MuJoCo clamps ctrllimited actuators itself. */
  setControl(ctrl: ArrayLike<number>): void {
    if (ctrl.length !== this.model.nu) {
      throw new Error(
        `setControl on model '${this.model.name}': got ${ctrl.length} values, expected ${this.model.nu}`,
      );
    }
    const v = this.view('ctrl');
    for (let i = 0; i < ctrl.length; i++) v[i] = ctrl[i];
  }

  /** `mj_forward`: recomputes every derived quantity from the current state (no time advance). */
  forward(): void {
    this.mj.mj_forward(this.model.raw, this.raw);
  }

  /** `n` calls of `mj_step` (mujoco-js has no nstep argument). */
  step(n = 1): void {
    const m = this.model.raw;
    const d = this.raw;
    const mj = this.mj;
    for (let i = 0; i < n; i++) mj.mj_step(m, d);
  }

  /** `mj_rnePostConstraint`: fills cacc, cfrc_int and cfrc_ext, which mj_step leaves alone. */
  rnePostConstraint(): void {
    this.mj.mj_rnePostConstraint(this.model.raw, this.raw);
  }

  /** `mj_kinematics` (positions/orientations only). */
  kinematics(): void {
    this.mj.mj_kinematics(this.model.raw, this.raw);
  }

  /** Frees the MjData. Safe to call twice. */
  free(): void {
    if (this.rawData) {
      this.rawData.delete();
      this.rawData = null;
    }
  }

  get freed(): boolean {
    return this.rawData === null;
  }
}

// ------------------------------------------------------------------------------------------------
// Diagnostics.

/**
 * Raw simulation speed: `mj_step` calls per second on a fresh MjData of `model`, zero controls, reset every
 * 1000 steps, for about `seconds` of wall time. Frees what it allocates.
 */
export function rawStepsPerSecond(model: MujocoModel, seconds: number): number {
  const data = model.createData();
  try {
    const m = model.raw;
    const d = data.raw;
    const mj = model.mj;
    const budgetMs = Math.max(0, seconds) * 1000;
    let steps = 0;
    const t0 = performance.now();
    let elapsed = 0;
    do {
      for (let i = 0; i < 100; i++) mj.mj_step(m, d);
      steps += 100;
      if (steps % 1000 === 0) mj.mj_resetData(m, d);
      elapsed = performance.now() - t0;
    } while (elapsed < budgetMs);
    return (steps / elapsed) * 1000;
  } finally {
    data.free();
  }
}

/** Current size of the wasm heap in bytes (grows, never shrinks); useful to check that memory stays flat. */
export function wasmHeapBytes(model: MujocoModel): number {
  return (model.view('body_mass').buffer as ArrayBuffer).byteLength;
}
