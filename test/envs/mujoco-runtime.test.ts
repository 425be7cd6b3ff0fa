import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  loadMujoco,
  loadModel,
  compileModel,
  MujocoLoadError,
  rawStepsPerSecond,
  wasmHeapBytes,
  cachedModelCount,
} from '../../src/envs/mujoco/runtime.ts';
import { SeededRng } from '../../src/envs/mujoco/seeding.ts';

const BALL = `<mujoco model="ball">
  <option timestep="0.01"/>
  <worldbody>
    <geom name="floor" type="plane" size="5 5 0.1"/>
    <body name="ball" pos="0 0 1">
      <freejoint name="root"/>
      <geom name="ball" type="sphere" size="0.1"/>
    </body>
    <site name="origin" pos="0 0 0"/>
  </worldbody>
</mujoco>`;

test('the wasm module loads once and is shared', async () => {
  const [a, b] = await Promise.all([loadMujoco(), loadMujoco()]);
  assert.equal(a, b);
  assert.equal(a.mj_versionString(), '3.3.8');
});

test('a model compiles once per XML and is cached', async () => {
  const before = cachedModelCount();
  const [m1, m2] = await Promise.all([loadModel('ball', BALL), loadModel('ball', BALL)]);
  assert.equal(m1, m2);
  assert.equal(cachedModelCount(), before + 1);
  assert.equal(m1.nq, 7);
  assert.equal(m1.nv, 6);
  assert.equal(m1.nbody, 2);
  assert.equal(m1.timestep, 0.01);
  assert.equal(m1.id('body', 'ball'), 1);
  assert.equal(m1.id('site', 'origin'), 0);
  assert.equal(m1.idOrMinus1('body', 'nope'), -1);
  assert.throws(() => m1.id('geom', 'nope'), /model 'ball' has no geom named 'nope'/);
});

test('load failures name the model', async () => {
  await assert.rejects(
    loadModel(
      'Broken',
      '<mujoco><worldbody><body><joint type="bogus"/></body></worldbody></mujoco>',
    ),
    (e: unknown) => {
      assert.ok(e instanceof MujocoLoadError);
      assert.match((e as Error).message, /could not compile model 'Broken'/);
      return true;
    },
  );
  await assert.rejects(loadModel('NotXml', 'this is not xml'), /model 'NotXml'/);
  // the module still works afterwards
  const mj = await loadMujoco();
  const m = compileModel(mj, 'ball-again', BALL);
  assert.equal(m.nq, 7);
});

test('setState writes then forwards; step advances; copies are detached from wasm memory', async () => {
  const model = await loadModel('ball', BALL);
  const data = model.createData();
  try {
    data.setState([0.5, 0, 2, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0]);
    const xpos = data.copy('xpos', 3, 6); // updated by mj_forward
    assert.deepEqual(Array.from(xpos), [0.5, 0, 2]);
    data.step(10);
    assert.ok(Math.abs(data.time - 0.1) < 1e-12);
    const z = data.copy('qpos', 2, 3)[0];
    assert.ok(z < 2);
    xpos[0] = 99;
    assert.equal(data.view('xpos')[3], 0.5);
    assert.throws(() => data.setState([0], [0, 0, 0, 0, 0, 0]), /qpos has length 1, expected 7/);
    data.reset();
    assert.equal(data.time, 0);
    assert.deepEqual(Array.from(data.copy('qpos')), [0, 0, 1, 1, 0, 0, 0]);
  } finally {
    data.free();
  }
  assert.throws(() => data.view('qpos'), /already freed/);
  data.free(); // harmless
});

test('creating and freeing MjData keeps wasm memory flat', async () => {
  const model = await loadModel('ball', BALL);
  for (let i = 0; i < 50; i++) model.createData().free();
  const heap = wasmHeapBytes(model);
  for (let i = 0; i < 2000; i++) {
    const d = model.createData();
    d.reset();
    d.forward();
    d.free();
  }
  assert.equal(wasmHeapBytes(model), heap);
});

test('rawStepsPerSecond measures a positive rate', async () => {
  const model = await loadModel('ball', BALL);
  const rate = rawStepsPerSecond(model, 0.05);
  assert.ok(rate > 1000, `rate ${rate}`);
});

test('SeededRng: same seed, same stream; moments of uniform and normal', () => {
  const a = new SeededRng(42);
  const b = new SeededRng(42);
  const c = new SeededRng(43);
  const xa = Array.from({ length: 8 }, () => a.random());
  const xb = Array.from({ length: 8 }, () => b.random());
  const xc = Array.from({ length: 8 }, () => c.random());
  assert.deepEqual(xa, xb);
  assert.notDeepEqual(xa, xc);
  const r = new SeededRng(7);
  const n = 20000;
  let su = 0;
  let sn = 0;
  let sn2 = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const u = r.uniform(-0.1, 0.1);
    su += u;
    lo = Math.min(lo, u);
    hi = Math.max(hi, u);
    const g = r.normal();
    sn += g;
    sn2 += g * g;
  }
  assert.ok(lo >= -0.1 && hi < 0.1);
  assert.ok(Math.abs(su / n) < 0.003);
  assert.ok(Math.abs(sn / n) < 0.03);
  assert.ok(Math.abs(sn2 / n - 1) < 0.05);
});
