/**
 * Each authored model against the compiled figures of the reference models (facts/data/gymnasium-compiled-models.json):
 * counts, options, qpos0/qpos_spring, every body, joint, geom, site, actuator, tendon and custom numeric field the data
 * file lists, plus the zero-control fingerprint (qpos after 100 mj_step from qpos0) from the facts sheet, Part D.
 * Floats are compared with |a - b| <= 1e-12 * max(1, |b|) (in practice they agree exactly).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { factsDataDir } from '../facts.ts';
import { loadModel } from '../../src/envs/mujoco/runtime.ts';
import type { MujocoModel } from '../../src/envs/mujoco/runtime.ts';
import { GYM_MODEL_XML } from '../../src/envs/gym-mujoco/models/index.ts';

const FACTS = factsDataDir();
/** The reference data; tests skip (saying so) where the facts folder is not available. */
const DATA = FACTS
  ? JSON.parse(readFileSync(join(FACTS, 'gymnasium-compiled-models.json'), 'utf8'))
  : null;
const SKIP = FACTS ? false : 'no facts data folder (set RFM_FACTS_DATA)';

const JNT = ['mjJNT_FREE', 'mjJNT_BALL', 'mjJNT_SLIDE', 'mjJNT_HINGE'];
const GEOM = [
  'mjGEOM_PLANE',
  'mjGEOM_HFIELD',
  'mjGEOM_SPHERE',
  'mjGEOM_CAPSULE',
  'mjGEOM_ELLIPSOID',
  'mjGEOM_CYLINDER',
  'mjGEOM_BOX',
];
const INTEGRATOR = ['mjINT_EULER', 'mjINT_RK4', 'mjINT_IMPLICIT', 'mjINT_IMPLICITFAST'];
const SOLVER = ['mjSOL_PGS', 'mjSOL_CG', 'mjSOL_NEWTON'];
const CONE = ['mjCONE_PYRAMIDAL', 'mjCONE_ELLIPTIC'];
const JAC = ['mjJAC_DENSE', 'mjJAC_SPARSE', 'mjJAC_AUTO'];
const TRN = ['mjTRN_JOINT'];
const DYN = ['mjDYN_NONE'];
const GAIN = ['mjGAIN_FIXED'];
const BIAS = ['mjBIAS_NONE'];

/** Zero-control fingerprints: qpos after 100 steps from qpos0 (facts sheet D.1/D.2; D.2 values have 9 significant digits). */
const FINGERPRINT: Record<string, number[]> = {
  InvertedPendulum: [-0.0923015136, 1.57358513],
  InvertedDoublePendulum: [4.96807292e-6, 2.75103735e-7, -6.88117055e-7],
  Reacher: [0, 0, 0.1, -0.1],
  Swimmer: [0, 0, 0, 0, 0],
  HalfCheetah: [
    -0.0138373823156755, -0.127586890226794, 0.0507151048489624, 0.0208916452062386,
    0.0575508915298115, -0.0268516087073019, -0.0458871782238253, -0.129027347755428,
    -0.121098455201508,
  ],
  Hopper: [
    -0.00191867216753601, 1.20552856631106, -0.00402464555651665, -0.000813909501653282,
    -0.00473005462933254, 0.00864206059223107,
  ],
  Walker2d: [
    -2.15107667e-5, 1.20719558, -0.000343948006, 6.41932222e-5, -0.00207105639, 0.0119456843,
    6.41932222e-5, -0.00207105639, 0.0119456843,
  ],
  Ant: [
    3.97820116e-16, -7.89099086e-16, 0.554066692, 1, 3.6342339e-17, 3.11216241e-17, 2.70936835e-17,
    4.63337816e-17, 0.96277636, -3.36012889e-17, -0.96277636, -4.07753394e-17, -0.96277636,
    7.17168572e-17, 0.96277636,
  ],
  Humanoid: [
    0.0155102776, -0.000205263472, 1.27812791, 0.995644121, -5.56691326e-5, 0.0932350303,
    9.75131617e-5, 0.000115846383, -0.265524093, 0.00280518833, -0.00278433092, -8.25006955e-5,
    -0.0783064597, -0.31441499, 0.00302195419, -0.00021272021, -0.0734014202, -0.304456799,
    0.432687872, -0.287600333, -0.277274666, -0.431828084, 0.287610346, -0.277492289,
  ],
};

type Raw = Record<string, any>;

class Checker {
  readonly problems: string[] = [];
  maxErr = 0;
  num(where: string, got: number, want: number): void {
    const err = Math.abs(got - want);
    if (Number.isFinite(err))
      this.maxErr = Math.max(this.maxErr, err / Math.max(1, Math.abs(want)));
    if (!(err <= 1e-12 * Math.max(1, Math.abs(want))))
      this.problems.push(`${where}: got ${got}, want ${want}`);
  }
  vec(where: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
    if (got.length < want.length) {
      this.problems.push(`${where}: got length ${got.length}, want ${want.length}`);
      return;
    }
    for (let i = 0; i < want.length; i++) this.num(`${where}[${i}]`, got[i], want[i]);
  }
  eq(where: string, got: unknown, want: unknown): void {
    if (got !== want) this.problems.push(`${where}: got ${String(got)}, want ${String(want)}`);
  }
}

function names(raw: Raw, adrField: string, n: number): string[] {
  const buf: Int8Array = raw.names;
  const adr: Int32Array = raw[adrField];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let s = '';
    for (let j = adr[i]; buf[j] !== 0; j++) s += String.fromCharCode(buf[j]);
    out.push(s);
  }
  return out;
}

function slice(a: ArrayLike<number>, i: number, k: number): number[] {
  return Array.from({ length: k }, (_, j) => a[i * k + j]);
}

function compare(model: MujocoModel, ref: any): Checker {
  const c = new Checker();
  const raw = model.raw as unknown as Raw;
  for (const [k, v] of Object.entries(ref.counts)) c.eq(`counts.${k}`, raw[k], v);
  const opt = model.raw.opt as unknown as Raw;
  try {
    const o = ref.option;
    c.num('option.timestep', opt.timestep, o.timestep);
    c.eq('option.integrator', INTEGRATOR[opt.integrator], o.integrator);
    c.vec('option.gravity', Array.from(opt.gravity as ArrayLike<number>), o.gravity);
    c.vec('option.wind', Array.from(opt.wind as ArrayLike<number>), o.wind);
    c.vec('option.magnetic', Array.from(opt.magnetic as ArrayLike<number>), o.magnetic);
    for (const k of [
      'density',
      'viscosity',
      'tolerance',
      'ls_tolerance',
      'impratio',
      'o_margin',
    ] as const)
      c.num(`option.${k}`, opt[k], o[k]);
    for (const k of [
      'iterations',
      'ls_iterations',
      'noslip_iterations',
      'disableflags',
      'enableflags',
    ] as const)
      c.eq(`option.${k}`, opt[k], o[k]);
    c.eq('option.solver', SOLVER[opt.solver], o.solver);
    c.eq('option.cone', CONE[opt.cone], o.cone);
    c.eq('option.jacobian', JAC[opt.jacobian], o.jacobian);
  } finally {
    (opt as any).delete();
  }
  c.num('totalmass', model.totalMass(), ref.totalmass);
  c.vec('qpos0', raw.qpos0, ref.qpos0);
  c.vec('qpos_spring', raw.qpos_spring, ref.qpos_spring);

  const bodyNames = names(raw, 'name_bodyadr', model.nbody);
  for (const b of ref.bodies) {
    const i = b.id;
    const w = `body ${i} (${b.name})`;
    c.eq(`${w}.name`, bodyNames[i], b.name === 'world' && i === 0 ? 'world' : b.name);
    c.eq(`${w}.parent`, bodyNames[raw.body_parentid[i]], b.parent);
    c.vec(`${w}.pos`, slice(raw.body_pos, i, 3), b.pos);
    c.vec(`${w}.quat`, slice(raw.body_quat, i, 4), b.quat);
    c.num(`${w}.mass`, raw.body_mass[i], b.mass);
    c.vec(`${w}.ipos`, slice(raw.body_ipos, i, 3), b.ipos);
    c.vec(`${w}.iquat`, slice(raw.body_iquat, i, 4), b.iquat);
    c.vec(`${w}.inertia`, slice(raw.body_inertia, i, 3), b.inertia);
    if (b.subtreemass !== undefined)
      c.num(`${w}.subtreemass`, raw.body_subtreemass[i], b.subtreemass);
  }
  const jntNames = names(raw, 'name_jntadr', model.njnt);
  for (const j of ref.joints) {
    const i = j.id;
    const w = `joint ${i} (${j.name})`;
    const dof = raw.jnt_dofadr[i];
    c.eq(`${w}.name`, jntNames[i], j.name);
    c.eq(`${w}.type`, JNT[raw.jnt_type[i]], j.type);
    c.eq(`${w}.body`, bodyNames[raw.jnt_bodyid[i]], j.body);
    c.eq(`${w}.qposadr`, raw.jnt_qposadr[i], j.qposadr);
    c.eq(`${w}.dofadr`, dof, j.dofadr);
    c.vec(`${w}.pos`, slice(raw.jnt_pos, i, 3), j.pos);
    c.vec(`${w}.axis`, slice(raw.jnt_axis, i, 3), j.axis);
    c.eq(`${w}.limited`, raw.jnt_limited[i], j.limited);
    c.vec(`${w}.range`, slice(raw.jnt_range, i, 2), j.range);
    c.num(`${w}.stiffness`, raw.jnt_stiffness[i], j.stiffness);
    c.num(`${w}.margin`, raw.jnt_margin[i], j.margin);
    c.vec(`${w}.solref`, slice(raw.jnt_solref, i, 2), j.solref);
    c.vec(`${w}.solimp`, slice(raw.jnt_solimp, i, 5), j.solimp);
    c.num(`${w}.damping`, raw.dof_damping[dof], j.damping);
    c.num(`${w}.armature`, raw.dof_armature[dof], j.armature);
    c.num(`${w}.frictionloss`, raw.dof_frictionloss[dof], j.frictionloss);
    if (j.type !== 'mjJNT_FREE' && j.type !== 'mjJNT_BALL') {
      c.num(`${w}.qpos0`, raw.qpos0[j.qposadr], j.qpos0);
      c.num(`${w}.springref`, raw.qpos_spring[j.qposadr], j.springref);
    }
  }
  const geomNames = names(raw, 'name_geomadr', model.ngeom);
  for (const g of ref.geoms) {
    const i = g.id;
    const w = `geom ${i} (${g.name})`;
    c.eq(`${w}.name`, geomNames[i], g.name);
    c.eq(`${w}.body`, bodyNames[raw.geom_bodyid[i]], g.body);
    c.eq(`${w}.type`, GEOM[raw.geom_type[i]], g.type);
    c.vec(`${w}.size`, slice(raw.geom_size, i, 3), g.size);
    c.vec(`${w}.pos`, slice(raw.geom_pos, i, 3), g.pos);
    c.vec(`${w}.quat`, slice(raw.geom_quat, i, 4), g.quat);
    for (const k of ['contype', 'conaffinity', 'condim', 'priority'] as const)
      c.eq(`${w}.${k}`, raw[`geom_${k}`][i], g[k]);
    c.vec(`${w}.friction`, slice(raw.geom_friction, i, 3), g.friction);
    c.num(`${w}.solmix`, raw.geom_solmix[i], g.solmix);
    c.vec(`${w}.solref`, slice(raw.geom_solref, i, 2), g.solref);
    c.vec(`${w}.solimp`, slice(raw.geom_solimp, i, 5), g.solimp);
    c.num(`${w}.margin`, raw.geom_margin[i], g.margin);
    c.num(`${w}.gap`, raw.geom_gap[i], g.gap);
    c.num(`${w}.fluid0`, raw.geom_fluid[i * 12], g.fluid0);
  }
  const siteNames = names(raw, 'name_siteadr', model.nsite);
  for (const s of ref.sites) {
    c.eq(`site ${s.id}.name`, siteNames[s.id], s.name);
    c.eq(`site ${s.id}.body`, bodyNames[raw.site_bodyid[s.id]], s.body);
    c.vec(`site ${s.id}.pos`, slice(raw.site_pos, s.id, 3), s.pos);
  }
  const actNames = names(raw, 'name_actuatoradr', model.nu);
  for (const a of ref.actuators) {
    const i = a.id;
    const w = `actuator ${i} (${a.name || a.joint})`;
    c.eq(`${w}.name`, actNames[i], a.name);
    c.eq(`${w}.trntype`, TRN[raw.actuator_trntype[i]], a.trntype);
    c.eq(`${w}.joint`, jntNames[raw.actuator_trnid[2 * i]], a.joint);
    c.eq(`${w}.dyntype`, DYN[raw.actuator_dyntype[i]], a.dyntype);
    c.eq(`${w}.gaintype`, GAIN[raw.actuator_gaintype[i]], a.gaintype);
    c.eq(`${w}.biastype`, BIAS[raw.actuator_biastype[i]], a.biastype);
    c.num(`${w}.gear0`, raw.actuator_gear[6 * i], a.gear0);
    c.num(`${w}.gainprm0`, raw.actuator_gainprm[10 * i], a.gainprm0);
    c.eq(`${w}.ctrllimited`, raw.actuator_ctrllimited[i], a.ctrllimited);
    c.vec(`${w}.ctrlrange`, slice(raw.actuator_ctrlrange, i, 2), a.ctrlrange);
    c.eq(`${w}.forcelimited`, raw.actuator_forcelimited[i], a.forcelimited);
    c.vec(`${w}.forcerange`, slice(raw.actuator_forcerange, i, 2), a.forcerange);
  }
  const tenNames = names(raw, 'name_tendonadr', model.ntendon);
  for (const t of ref.tendons) {
    const i = t.id;
    const w = `tendon ${i} (${t.name})`;
    c.eq(`${w}.name`, tenNames[i], t.name);
    c.eq(`${w}.num`, raw.tendon_num[i], t.wraps.length);
    const adr = raw.tendon_adr[i];
    t.wraps.forEach((wr: { joint: string; coef: number }, k: number) => {
      c.eq(`${w}.wrap${k}.joint`, jntNames[raw.wrap_objid[adr + k]], wr.joint);
      c.num(`${w}.wrap${k}.coef`, raw.wrap_prm[adr + k], wr.coef);
    });
    c.eq(`${w}.limited`, raw.tendon_limited[i], t.limited);
    c.num(`${w}.stiffness`, raw.tendon_stiffness[i], t.stiffness);
    c.num(`${w}.damping`, raw.tendon_damping[i], t.damping);
  }
  const numNames = names(raw, 'name_numericadr', raw.nnumeric);
  ref.numerics.forEach((nu: { name: string; data: number[] }, i: number) => {
    c.eq(`numeric ${i}.name`, numNames[i], nu.name);
    c.vec(
      `numeric ${i}.data`,
      Array.from(raw.numeric_data as Float64Array).slice(
        raw.numeric_adr[i],
        raw.numeric_adr[i] + raw.numeric_size[i],
      ),
      nu.data,
    );
  });
  return c;
}

for (const name of Object.keys(DATA?.models ?? GYM_MODEL_XML)) {
  const xml = GYM_MODEL_XML[name];
  test(
    `${name}: authored model matches the compiled reference figures`,
    { skip: SKIP || (xml === undefined && 'not authored yet') },
    async () => {
      const model = await loadModel(name, xml);
      const c = compare(model, DATA.models[name]);
      assert.deepEqual(c.problems, [], `${name}: ${c.problems.length} mismatches`);
    },
  );
  test(
    `${name}: zero-control fingerprint (qpos after 100 steps)`,
    { skip: xml === undefined && 'not authored yet' },
    async () => {
      const model = await loadModel(name, xml);
      const data = model.createData();
      try {
        data.reset();
        data.step(100);
        const q = data.copy('qpos');
        const want = FINGERPRINT[name];
        assert.equal(q.length, want.length);
        for (let i = 0; i < want.length; i++) {
          // the reference values are printed with 9-15 significant digits
          assert.ok(
            Math.abs(q[i] - want[i]) <= 1e-8 * Math.abs(want[i]) + 1e-12,
            `${name} qpos[${i}]: got ${q[i]}, want ${want[i]}`,
          );
        }
      } finally {
        data.free();
      }
    },
  );
}
