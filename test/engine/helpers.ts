/** Shared test helpers for the engine: backends to test, finite-difference gradient checks. */
import assert from 'node:assert/strict';
import {
  availableBackends,
  tryBackend,
  Rng,
  tensor,
  variable,
  grad,
  sum,
  mul,
  type Tensor,
  type Backend,
} from '../../src/engine/index.ts';

/** The backends under test: every available one; in CI the native backend must be among them. */
export function testBackends(): Backend[] {
  const names = availableBackends();
  if (process.env.CI === 'true' && !names.includes('native')) {
    throw new Error('CI: the native backend is not available (the build failed?)');
  }
  return names.map((n) => tryBackend(n)!);
}

export function randomArray(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  return rng.fillUniform(new Float32Array(n), lo, hi);
}

/**
 * Checks d/dx_i of sum(f(x...) * r) against central differences for each input.
 * `inputs` are host arrays with shapes; f builds the output from tensors on `backend`.
 */
export function checkGradients(
  backend: Backend,
  name: string,
  inputs: { data: Float32Array; shape: number[] }[],
  f: (...xs: Tensor[]) => Tensor,
  opts: { eps?: number; rtol?: number; atol?: number; seed?: number } = {},
): void {
  const eps = opts.eps ?? 1e-2;
  const rtol = opts.rtol ?? 3e-2;
  const atol = opts.atol ?? 2e-3;
  const rng = new Rng(opts.seed ?? 7);
  const xs = inputs.map((i) => variable(tensor(i.data, i.shape, backend)));
  const y = f(...xs);
  const r = tensor(randomArray(rng, y.size), y.shape, backend);
  const loss = sum(mul(y, r));
  const gs = grad(loss, xs).map((g) => g.toArray());
  const rHost = r.toArray();
  const evalLoss = (datas: Float32Array[]): number => {
    const ts = datas.map((d, i) => tensor(d, inputs[i].shape, backend));
    const out = f(...ts).toArray();
    let s = 0;
    for (let i = 0; i < out.length; i++) s += out[i] * rHost[i];
    return s;
  };
  inputs.forEach((inp, k) => {
    for (let i = 0; i < inp.data.length; i++) {
      const datas = inputs.map((x) => x.data.slice());
      datas[k][i] = inp.data[i] + eps;
      const lp = evalLoss(datas);
      datas[k][i] = inp.data[i] - eps;
      const lm = evalLoss(datas);
      const fd = (lp - lm) / (2 * eps);
      const an = gs[k][i];
      const tol = atol + rtol * Math.max(Math.abs(fd), Math.abs(an));
      assert.ok(
        Math.abs(fd - an) <= tol,
        `${name} [${backend.name}]: d/dx${k}[${i}] analytic ${an} vs finite difference ${fd}`,
      );
    }
  });
}
