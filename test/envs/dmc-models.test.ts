// The authored DMC models against the compiled figures of the original suite models
// (/work/shared/facts/data/dmc-compiled/<domain>.json; override the folder with RFM_FACTS_DATA).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../src/envs/mujoco/runtime.ts';
import { OBJ, compareFigures, compiledFigures } from '../../src/envs/dmc/inspect.ts';
import { DMC_MODELS } from '../../src/envs/dmc/models/index.ts';
import { factsDataDir } from '../facts.ts';

const FACTS = factsDataDir() ?? '/work/shared/facts/data';
const COMPILED = join(FACTS, 'dmc-compiled');

/** Relative tolerance on compiled figures (the reference is printed to ~6 significant digits). */
const FIGURE_TOL = 1e-5;
/** Absolute tolerance on qpos/qvel after 100 zero-control steps from qpos0. */
const FINGERPRINT_TOL = 1e-6;
/** Relative tolerance (to max(1, |value|)) on sensordata after those 100 steps. */
const SENSOR_TOL = 1e-5;

// Headline figures restated from the facts sheet, so that these checks run even without the data folder:
// [nq, nv, nu, total mass (kg), timestep (s)].
const HEADLINE: Record<string, [number, number, number, number, number]> = {
  cheetah: [9, 9, 6, 14, 0.01],
  walker: [9, 9, 6, 28.540322, 0.0025],
  cartpole: [2, 2, 1, 1.1, 0.01],
  finger: [3, 3, 2, 3.979053, 0.01],
  fish: [14, 13, 5, 0.0344884, 0.004],
  pendulum: [1, 1, 1, 1, 0.02],
  reacher: [2, 2, 2, 0.081681, 0.02],
  hopper: [7, 7, 4, 12.439154, 0.005],
  acrobot: [2, 2, 1, 2, 0.01],
  ball_in_cup: [4, 4, 2, 0.130603, 0.002],
  humanoid: [28, 27, 21, 40.844021, 0.005],
  quadruped_run: [23, 22, 12, 107.117906, 0.005],
};

for (const [domain, xml] of Object.entries(DMC_MODELS)) {
  test(`dmc model ${domain}: headline figures`, async () => {
    const model = await loadModel(`dmc-${domain}`, xml);
    const want = HEADLINE[domain];
    assert.ok(want, `no headline figures for ${domain}`);
    assert.deepEqual([model.nq, model.nv, model.nu], want.slice(0, 3));
    assert.ok(
      Math.abs(model.totalMass() - want[3]) <= 1e-6 * want[3] + 1e-6,
      `total mass ${model.totalMass()} vs ${want[3]}`,
    );
    assert.equal(model.timestep, want[4]);
  });

  const ref = join(COMPILED, `${domain}.json`);
  test(
    `dmc model ${domain}: compiled figures match the original`,
    { skip: !existsSync(ref) && `no ${ref}` },
    async () => {
      const model = await loadModel(`dmc-${domain}`, xml);
      const expected = JSON.parse(readFileSync(ref, 'utf8')) as Record<string, unknown>;
      const actual = compiledFigures(model.mj, model.raw);
      const r = compareFigures(actual, expected, FIGURE_TOL);
      const show = r.deviations
        .slice(0, 8)
        .map((d) => `${d.path}: ${JSON.stringify(d.actual)} vs ${JSON.stringify(d.expected)}`);
      assert.equal(
        r.deviations.length,
        0,
        `${domain}: ${r.deviations.length} deviations\n${show.join('\n')}`,
      );
      assert.ok(r.maxError <= FIGURE_TOL);
    },
  );

  test(
    `dmc model ${domain}: 100-step zero-control fingerprint`,
    { skip: !existsSync(ref) && `no ${ref}` },
    async () => {
      const model = await loadModel(`dmc-${domain}`, xml);
      const expected = JSON.parse(readFileSync(ref, 'utf8')) as {
        after100: {
          time: number;
          qpos: number[];
          qvel: number[];
          ncon: number;
          sensordata: number[];
        };
      };
      const data = model.createData();
      try {
        data.reset();
        data.step(100);
        const qpos = data.copy('qpos');
        const qvel = data.copy('qvel');
        const a = expected.after100;
        let dq = 0;
        let dv = 0;
        for (let i = 0; i < qpos.length; i++) dq = Math.max(dq, Math.abs(qpos[i] - a.qpos[i]));
        for (let i = 0; i < qvel.length; i++) dv = Math.max(dv, Math.abs(qvel[i] - a.qvel[i]));
        assert.ok(Math.abs(data.time - a.time) < 1e-9);
        assert.ok(dq <= FINGERPRINT_TOL, `${domain}: qpos off by ${dq}`);
        assert.ok(dv <= FINGERPRINT_TOL, `${domain}: qvel off by ${dv}`);
        assert.equal(data.raw.ncon, a.ncon);
        // Sensors (forces, touch, IMU, positions) at that state: the reference was read after an mj_forward
        // (mj_step leaves sensordata at the pre-integration state). Relative to max(1, |value|).
        data.forward();
        const sd = data.copy('sensordata');
        assert.equal(sd.length, a.sensordata.length);
        let ds = 0;
        for (let i = 0; i < sd.length; i++)
          ds = Math.max(
            ds,
            Math.abs(sd[i] - a.sensordata[i]) / Math.max(1, Math.abs(a.sensordata[i])),
          );
        assert.ok(ds <= SENSOR_TOL, `${domain}: sensordata off by ${ds} (relative)`);
      } finally {
        data.free();
      }
    },
  );
}

test('compareFigures reports a changed figure, a renamed item and a missing item', async () => {
  const model = await loadModel('dmc-cheetah', DMC_MODELS.cheetah);
  const fig = compiledFigures(model.mj, model.raw);
  const ref = JSON.parse(JSON.stringify(fig)) as typeof fig;
  assert.equal(compareFigures(fig, ref).deviations.length, 0);
  ref.bodies[2].mass *= 1.001;
  ref.joints[4].name = 'elsewhere';
  ref.actuators.push(ref.actuators[0]);
  const paths = compareFigures(fig, ref).deviations.map((d) => d.path);
  assert.ok(paths.includes('bodies[2].mass'));
  assert.ok(paths.includes('joints[4].name'));
  assert.ok(paths.includes('actuators'));
  // Quaternions compare up to sign.
  const flipped = JSON.parse(JSON.stringify(fig)) as typeof fig;
  flipped.geoms[3].quat = flipped.geoms[3].quat.map((x) => -x);
  assert.equal(compareFigures(fig, flipped).deviations.length, 0);
});

test('dmc model fish: the fluid model propels it like the original (10 s open-loop stroke)', async () => {
  // Facts sheet section 1: tail and fin-flap servos driven with sin(2 pi 2 t) for 10 s move the original
  // fish's torso to y = +0.197 m (with density 0 it drifts to y = -0.021 m).
  const model = await loadModel('dmc-fish', DMC_MODELS.fish);
  const data = model.createData();
  try {
    data.reset();
    const steps = Math.round(10 / model.timestep);
    for (let k = 0; k < steps; k++) {
      const u = Math.sin(2 * Math.PI * 2 * data.time);
      data.setControl([u, 0, u, 0, 0]);
      data.step(1);
    }
    const y = data.view('qpos')[1];
    assert.ok(Math.abs(y - 0.197) < 0.001, `torso y after 10 s: ${y}`);
  } finally {
    data.free();
  }
});

for (const [domain, xml] of Object.entries(DMC_MODELS)) {
  const ref = join(COMPILED, `${domain}.json`);
  test(
    `dmc model ${domain}: body and geom poses at qpos0 match the original`,
    { skip: !existsSync(ref) && `no ${ref}` },
    async () => {
      const model = await loadModel(`dmc-${domain}`, xml);
      const expected = JSON.parse(readFileSync(ref, 'utf8')) as Record<string, unknown>;
      const data = model.createData();
      try {
        data.reset();
        data.forward();
        const rows = (field: string, n: number): number[][] => {
          const v = data.copy(field);
          return Array.from({ length: v.length / n }, (_, i) =>
            Array.from(v.subarray(n * i, n * i + n)),
          );
        };
        const byName = (rowsOf: number[][]): Record<string, number[]> =>
          Object.fromEntries(
            rowsOf.map((r, g) => [model.mj.mj_id2name(model.raw, OBJ.geom, g) ?? String(g), r]),
          );
        const actual = {
          xpos_qpos0: rows('xpos', 3),
          xmat_qpos0: rows('xmat', 9),
          geom_xpos_qpos0: byName(rows('geom_xpos', 3)),
          geom_xmat_qpos0: byName(rows('geom_xmat', 9)),
          ncon_qpos0: data.raw.ncon,
        };
        const subset = Object.fromEntries(Object.keys(actual).map((k) => [k, expected[k]]));
        for (const k of ['geom_xpos_qpos0', 'geom_xmat_qpos0'])
          assert.deepEqual(
            Object.keys(actual[k as 'geom_xpos_qpos0']),
            Object.keys(subset[k] as object),
            `${k} names`,
          );
        const r = compareFigures(actual, subset, FIGURE_TOL);
        const show = r.deviations
          .slice(0, 8)
          .map((d) => `${d.path}: ${JSON.stringify(d.actual)} vs ${JSON.stringify(d.expected)}`);
        assert.equal(
          r.deviations.length,
          0,
          `${domain}: ${r.deviations.length} deviations\n${show.join('\n')}`,
        );
      } finally {
        data.free();
      }
    },
  );
}
