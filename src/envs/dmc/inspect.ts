/**
 * Read the compiled figures of a loaded MuJoCo model (masses, inertias, joint and geom parameters,
 * actuators, sensors, tendons, equalities) into plain JSON-friendly objects. Used by the tests that check
 * the authored DMC models, and handy when debugging a model by hand.
 */
import type { MainModule, MjModel } from 'mujoco-js';

const JOINT_TYPES = ['mjJNT_FREE', 'mjJNT_BALL', 'mjJNT_SLIDE', 'mjJNT_HINGE'];
const GEOM_TYPES = [
  'mjGEOM_PLANE',
  'mjGEOM_HFIELD',
  'mjGEOM_SPHERE',
  'mjGEOM_CAPSULE',
  'mjGEOM_ELLIPSOID',
  'mjGEOM_CYLINDER',
  'mjGEOM_BOX',
  'mjGEOM_MESH',
  'mjGEOM_SDF',
];
const TRN_TYPES: Record<number, string> = {
  0: 'mjTRN_JOINT',
  1: 'mjTRN_JOINTINPARENT',
  3: 'mjTRN_TENDON',
  4: 'mjTRN_SITE',
  5: 'mjTRN_BODY',
};
const DYN_TYPES = [
  'mjDYN_NONE',
  'mjDYN_INTEGRATOR',
  'mjDYN_FILTER',
  'mjDYN_FILTEREXACT',
  'mjDYN_MUSCLE',
  'mjDYN_USER',
];
const GAIN_TYPES = ['mjGAIN_FIXED', 'mjGAIN_AFFINE', 'mjGAIN_MUSCLE', 'mjGAIN_USER'];
const BIAS_TYPES = ['mjBIAS_NONE', 'mjBIAS_AFFINE', 'mjBIAS_MUSCLE', 'mjBIAS_USER'];
const WRAP_TYPES = [
  'mjWRAP_NONE',
  'mjWRAP_JOINT',
  'mjWRAP_PULLEY',
  'mjWRAP_SITE',
  'mjWRAP_SPHERE',
  'mjWRAP_CYLINDER',
];
const EQ_TYPES = [
  'mjEQ_CONNECT',
  'mjEQ_WELD',
  'mjEQ_JOINT',
  'mjEQ_TENDON',
  'mjEQ_FLEX',
  'mjEQ_DISTANCE',
];
const INTEGRATORS = ['mjINT_EULER', 'mjINT_RK4', 'mjINT_IMPLICIT', 'mjINT_IMPLICITFAST'];
const CONES = ['mjCONE_PYRAMIDAL', 'mjCONE_ELLIPTIC'];
const SENSOR_TYPES: Record<number, string> = {
  0: 'mjSENS_TOUCH',
  1: 'mjSENS_ACCELEROMETER',
  2: 'mjSENS_VELOCIMETER',
  3: 'mjSENS_GYRO',
  4: 'mjSENS_FORCE',
  5: 'mjSENS_TORQUE',
  9: 'mjSENS_JOINTPOS',
  10: 'mjSENS_JOINTVEL',
  26: 'mjSENS_FRAMEPOS',
  35: 'mjSENS_SUBTREECOM',
  36: 'mjSENS_SUBTREELINVEL',
};

/** mjtObj codes used here. */
export const OBJ = {
  body: 1,
  xbody: 2,
  joint: 3,
  geom: 5,
  site: 6,
  tendon: 18,
  actuator: 19,
  sensor: 20,
  equality: 17,
} as const;

type Arr = ArrayLike<number>;
const slice = (a: Arr, i: number, n: number): number[] => {
  const out: number[] = [];
  for (let k = 0; k < n; k++) out.push(a[i * n + k]);
  return out;
};

export interface CompiledFigures {
  sizes: Record<string, number>;
  opt: {
    timestep: number;
    gravity: number[];
    density: number;
    viscosity: number;
    integrator: string;
    cone: string;
    iterations: number;
    disableflags: number;
    enableflags: number;
  };
  total_mass: number;
  qpos0: number[];
  bodies: Array<{
    name: string;
    parent: string;
    pos: number[];
    quat: number[];
    mass: number;
    inertia: number[];
    ipos: number[];
    iquat: number[];
  }>;
  joints: Array<{
    name: string;
    type: string;
    body: string;
    qposadr: number;
    dofadr: number;
    pos: number[];
    axis: number[];
    limited: number;
    range: number[];
    stiffness: number;
    springref: number;
    damping: number;
    armature: number;
    frictionloss: number;
    solref_lim: number[];
    solimp_lim: number[];
  }>;
  geoms: Array<{
    name: string;
    body: string;
    type: string;
    size: number[];
    pos: number[];
    quat: number[];
    contype: number;
    conaffinity: number;
    condim: number;
    friction: number[];
    solref: number[];
    solimp: number[];
    margin: number;
    priority: number;
  }>;
  sites: Array<{
    name: string;
    body: string;
    type: string;
    size: number[];
    pos: number[];
    quat: number[];
  }>;
  actuators: Array<{
    name: string;
    trntype: string;
    target: string;
    gear: number;
    ctrllimited: number;
    ctrlrange: number[];
    dyntype: string;
    dynprm0: number;
    gaintype: string;
    gainprm: number[];
    biastype: string;
    biasprm: number[];
  }>;
  sensors: Array<{ name: string; type: string; obj: string; dim: number; adr: number }>;
  tendons: Array<{
    name: string;
    limited: number;
    range: number[];
    stiffness: number;
    damping: number;
    wraps: Array<{ type: string; obj: string; prm: number }>;
  }>;
  equalities: Array<{ name: string; type: string; solref: number[]; solimp: number[] }>;
}

/** Extract the compiled figures of `m`. Names of unnamed elements are ''. */
export function compiledFigures(mj: MainModule, m: MjModel): CompiledFigures {
  const name = (type: number, id: number): string =>
    id < 0 ? '' : (mj.mj_id2name(m, type, id) ?? '');
  const opt = m.opt;
  const sizes = {
    nq: m.nq,
    nv: m.nv,
    nu: m.nu,
    na: m.na,
    nbody: m.nbody,
    njnt: m.njnt,
    ngeom: m.ngeom,
    nsite: m.nsite,
    nsensor: m.nsensor,
    nsensordata: m.nsensordata,
    ntendon: m.ntendon,
    neq: m.neq,
  };
  let total = 0;
  const bodies: CompiledFigures['bodies'] = [];
  for (let b = 0; b < m.nbody; b++) {
    total += m.body_mass[b];
    bodies.push({
      name: b === 0 ? 'world' : name(OBJ.body, b),
      parent: m.body_parentid[b] === 0 ? 'world' : name(OBJ.body, m.body_parentid[b]),
      pos: slice(m.body_pos, b, 3),
      quat: slice(m.body_quat, b, 4),
      mass: m.body_mass[b],
      inertia: slice(m.body_inertia, b, 3),
      ipos: slice(m.body_ipos, b, 3),
      iquat: slice(m.body_iquat, b, 4),
    });
  }
  const bodyName = (b: number): string => (b === 0 ? 'world' : name(OBJ.body, b));
  const joints: CompiledFigures['joints'] = [];
  for (let j = 0; j < m.njnt; j++) {
    const dof = m.jnt_dofadr[j];
    const qadr = m.jnt_qposadr[j];
    joints.push({
      name: name(OBJ.joint, j),
      type: JOINT_TYPES[m.jnt_type[j]],
      body: bodyName(m.jnt_bodyid[j]),
      qposadr: qadr,
      dofadr: dof,
      pos: slice(m.jnt_pos, j, 3),
      axis: slice(m.jnt_axis, j, 3),
      limited: m.jnt_limited[j],
      range: slice(m.jnt_range, j, 2),
      stiffness: m.jnt_stiffness[j],
      springref: m.qpos_spring[qadr],
      damping: m.dof_damping[dof],
      armature: m.dof_armature[dof],
      frictionloss: m.dof_frictionloss[dof],
      solref_lim: slice(m.jnt_solref, j, 2),
      solimp_lim: slice(m.jnt_solimp, j, 5),
    });
  }
  const geoms: CompiledFigures['geoms'] = [];
  for (let g = 0; g < m.ngeom; g++) {
    geoms.push({
      name: name(OBJ.geom, g),
      body: bodyName(m.geom_bodyid[g]),
      type: GEOM_TYPES[m.geom_type[g]],
      size: slice(m.geom_size, g, 3),
      pos: slice(m.geom_pos, g, 3),
      quat: slice(m.geom_quat, g, 4),
      contype: m.geom_contype[g],
      conaffinity: m.geom_conaffinity[g],
      condim: m.geom_condim[g],
      friction: slice(m.geom_friction, g, 3),
      solref: slice(m.geom_solref, g, 2),
      solimp: slice(m.geom_solimp, g, 5),
      margin: m.geom_margin[g],
      priority: m.geom_priority[g],
    });
  }
  const sites: CompiledFigures['sites'] = [];
  for (let s = 0; s < m.nsite; s++) {
    sites.push({
      name: name(OBJ.site, s),
      body: bodyName(m.site_bodyid[s]),
      type: GEOM_TYPES[m.site_type[s]],
      size: slice(m.site_size, s, 3),
      pos: slice(m.site_pos, s, 3),
      quat: slice(m.site_quat, s, 4),
    });
  }
  const actuators: CompiledFigures['actuators'] = [];
  for (let a = 0; a < m.nu; a++) {
    const trn = m.actuator_trntype[a];
    const tid = m.actuator_trnid[2 * a];
    actuators.push({
      name: name(OBJ.actuator, a),
      trntype: TRN_TYPES[trn] ?? String(trn),
      target:
        trn === 3 ? name(OBJ.tendon, tid) : trn === 4 ? name(OBJ.site, tid) : name(OBJ.joint, tid),
      gear: m.actuator_gear[6 * a],
      ctrllimited: m.actuator_ctrllimited[a],
      ctrlrange: slice(m.actuator_ctrlrange, a, 2),
      dyntype: DYN_TYPES[m.actuator_dyntype[a]],
      dynprm0: m.actuator_dynprm[10 * a],
      gaintype: GAIN_TYPES[m.actuator_gaintype[a]],
      gainprm: slice(m.actuator_gainprm, a, 10).slice(0, 3),
      biastype: BIAS_TYPES[m.actuator_biastype[a]],
      biasprm: slice(m.actuator_biasprm, a, 10).slice(0, 3),
    });
  }
  const sensors: CompiledFigures['sensors'] = [];
  for (let s = 0; s < m.nsensor; s++) {
    const objtype = m.sensor_objtype[s];
    const oid = m.sensor_objid[s];
    sensors.push({
      name: name(OBJ.sensor, s),
      type: SENSOR_TYPES[m.sensor_type[s]] ?? String(m.sensor_type[s]),
      obj: objtype === OBJ.body || objtype === OBJ.xbody ? bodyName(oid) : name(objtype, oid),
      dim: m.sensor_dim[s],
      adr: m.sensor_adr[s],
    });
  }
  const tendons: CompiledFigures['tendons'] = [];
  for (let t = 0; t < m.ntendon; t++) {
    const wraps: Array<{ type: string; obj: string; prm: number }> = [];
    for (let w = m.tendon_adr[t]; w < m.tendon_adr[t] + m.tendon_num[t]; w++) {
      const wt = m.wrap_type[w];
      wraps.push({
        type: WRAP_TYPES[wt],
        obj:
          wt === 1
            ? name(OBJ.joint, m.wrap_objid[w])
            : wt === 3
              ? name(OBJ.site, m.wrap_objid[w])
              : name(OBJ.geom, m.wrap_objid[w]),
        prm: m.wrap_prm[w],
      });
    }
    tendons.push({
      name: name(OBJ.tendon, t),
      limited: m.tendon_limited[t],
      range: slice(m.tendon_range, t, 2),
      stiffness: m.tendon_stiffness[t],
      damping: m.tendon_damping[t],
      wraps,
    });
  }
  const equalities: CompiledFigures['equalities'] = [];
  for (let e = 0; e < m.neq; e++) {
    equalities.push({
      name: name(OBJ.equality, e),
      type: EQ_TYPES[m.eq_type[e]],
      solref: slice(m.eq_solref, e, 2),
      solimp: slice(m.eq_solimp, e, 5),
    });
  }
  return {
    sizes,
    opt: {
      timestep: opt.timestep,
      gravity: Array.from(opt.gravity as Arr),
      density: opt.density,
      viscosity: opt.viscosity,
      integrator: INTEGRATORS[opt.integrator],
      cone: CONES[opt.cone],
      iterations: opt.iterations,
      disableflags: opt.disableflags,
      enableflags: opt.enableflags,
    },
    total_mass: total,
    qpos0: Array.from(m.qpos0 as Arr),
    bodies,
    joints,
    geoms,
    sites,
    actuators,
    sensors,
    tendons,
    equalities,
  };
}

export interface FigureDeviation {
  path: string;
  actual: unknown;
  expected: unknown;
  /** |a - e| / max(|e|, 1e-6); Infinity for a structural mismatch (missing item, different name/type). */
  error: number;
}

/**
 * Compare extracted figures against a reference of the same shape (extra reference keys are ignored).
 * Quaternions are compared up to sign; ranges of unlimited joints/tendons are not compared (they are inert).
 * Returns every deviation above `threshold`, worst first, and the maximum numeric error seen.
 */
export function compareFigures(
  actual: unknown,
  expected: unknown,
  threshold = 1e-5,
): { maxError: number; worst: string; deviations: FigureDeviation[] } {
  const deviations: FigureDeviation[] = [];
  let maxError = 0;
  let worst = '';
  const note = (path: string, a: unknown, e: unknown, error: number): void => {
    if (error > maxError) {
      maxError = error;
      worst = path;
    }
    if (error > threshold) deviations.push({ path, actual: a, expected: e, error });
  };
  const numErr = (a: number, e: number): number =>
    a === e ? 0 : Math.abs(a - e) / Math.max(Math.abs(e), 1e-6);
  const walk = (a: unknown, e: unknown, path: string): void => {
    if (typeof e === 'number') {
      if (typeof a !== 'number') return note(path, a, e, Infinity);
      return note(path, a, e, numErr(a, e));
    }
    if (typeof e === 'string') {
      if (a !== e) note(path, a, e, Infinity);
      return;
    }
    if (Array.isArray(e)) {
      if (!Array.isArray(a) || a.length !== e.length) return note(path, a, e, Infinity);
      if (/quat$/.test(path) && e.length === 4) {
        const plus = Math.max(...e.map((x, i) => numErr(a[i] as number, x as number)));
        const minus = Math.max(...e.map((x, i) => numErr(-(a[i] as number), x as number)));
        return note(path, a, e, Math.min(plus, minus));
      }
      e.forEach((x, i) => walk(a[i], x, `${path}[${i}]`));
      return;
    }
    if (e && typeof e === 'object') {
      if (!a || typeof a !== 'object') return note(path, a, e, Infinity);
      const ao = a as Record<string, unknown>;
      const eo = e as Record<string, unknown>;
      for (const k of Object.keys(eo)) {
        if (!(k in ao)) continue;
        if (k === 'range' && eo.limited === 0) continue;
        walk(ao[k], eo[k], path ? `${path}.${k}` : k);
      }
    }
  };
  walk(actual, expected, '');
  deviations.sort((x, y) => y.error - x.error);
  return { maxError, worst, deviations };
}
