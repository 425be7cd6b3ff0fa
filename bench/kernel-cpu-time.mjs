// The lite actor's fused kernels timed in CPU time on one thread (RFM_THREADS=1), so that other
// processes' load moves the figure little (wall-clock figures on a shared machine swing by 2x):
// mlpEuler (10 Euler steps of a [6 -> 256 GELU -> 2 residual GELU blocks -> 6] chain over 2048
// rows) and mlpForward (two residual 256-wide GELU layers over 4096 rows), GFLOP per CPU-second.
// Usage: RFM_ISA=avx2 node bench/kernel-cpu-time.mjs [addon path] [repeats] [--small]
//   (default build/Release/rfm_native.node; an older build's path compares it)
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

process.env.RFM_THREADS ??= '1';
const path = resolve(process.argv[2] ?? 'build/Release/rfm_native.node');
const reps = Number(process.argv[3] ?? 20);
const addon = createRequire(import.meta.url)(path);
let seed = 1;
const R = (n, s = 0.1) =>
  Float32Array.from({ length: n }, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return (seed / 2147483648 - 0.5) * s;
  });
const GELU = 8;

/** GFLOP per CPU-second of fn (flops each call), after warm-up. */
function cpuRate(fn, flops) {
  for (let i = 0; i < 3; i++) fn();
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) fn();
  const c = process.cpuUsage(c0);
  return (flops * reps) / ((c.user + c.system) * 1e3);
}

const small = process.argv.includes('--small');
const out = {
  addon: path,
  isa: typeof addon.isa === 'function' ? addon.isa() : 'unknown',
  threads: process.env.RFM_THREADS,
};
if (!small) {
  const D = 6,
    H = 256,
    S = 10,
    ME = 2048;
  const w0 = R(H * D),
    w1 = R(H * H),
    w2 = R(H * H),
    w3 = R(D * H),
    b = R(H),
    b3 = R(D);
  const metaE = Int32Array.from([
    ME,
    S,
    1,
    4,
    D,
    H,
    GELU,
    0,
    1,
    H,
    H,
    GELU,
    1,
    1,
    H,
    H,
    GELU,
    1,
    1,
    H,
    D,
    -1,
    0,
    1,
  ]);
  const y0 = R(ME * D, 1),
    y = new Float32Array(ME * D),
    sb = R(S * H),
    h = new Float32Array(S).fill(0.1);
  out.mlpEulerGflopsPerCpuSecond = +cpuRate(
    () => addon.mlpEuler(y0, y, metaE, sb, h, w0, null, w1, b, w2, b, w3, b3),
    2 * ME * S * (D * H + 2 * H * H + H * D),
  ).toFixed(1);
  const MF = 4096;
  const metaF = Int32Array.from([MF, 2, H, H, GELU, 1, 1, H, H, GELU, 1, 1]);
  const x = R(MF * H),
    yf = new Float32Array(MF * H);
  out.mlpForwardGflopsPerCpuSecond = +cpuRate(
    () => addon.mlpForward(x, yf, metaF, w1, b, w2, b),
    2 * MF * 2 * H * H,
  ).toFixed(1);
} else {
  // the small preset's update (--small): mlpEuler over 512 rows (5 steps, 128 bias groups, width
  // 64) and twinReluCriticMin over 1024 rows with the action gradient (A 6, widths 64)
  const D = 6,
    H = 64,
    S = 5,
    ME = 512,
    G = 128;
  const w0 = R(H * D),
    w1 = R(H * H),
    w2 = R(H * H),
    w3 = R(D * H),
    b = R(H),
    b3 = R(D);
  const metaE = Int32Array.from([
    ME,
    S,
    G,
    4,
    D,
    H,
    GELU,
    0,
    1,
    H,
    H,
    GELU,
    1,
    1,
    H,
    H,
    GELU,
    1,
    1,
    H,
    D,
    -1,
    0,
    1,
  ]);
  const y0 = R(ME * D, 1),
    y = new Float32Array(ME * D),
    sb = R(S * G * H),
    h = new Float32Array(S).fill(0.2);
  out.mlpEulerGflopsPerCpuSecond = +cpuRate(
    () => addon.mlpEuler(y0, y, metaE, sb, h, w0, null, w1, b, w2, b, w3, b3),
    2 * ME * S * (D * H + 2 * H * H + H * D),
  ).toFixed(1);
  const MC = 1024,
    A = 6,
    O = 17,
    GC = 64;
  const act = R(MC * A, 1),
    q1 = new Float32Array(MC),
    q2 = new Float32Array(MC),
    grad = new Float32Array(MC * A);
  const meta = Int32Array.from([MC, A, H, H, GC, O + A, O]);
  const critic = () => [R(H * (O + A)), R(GC * H), R(H * H), R(H), R(H), R(1)];
  const c1 = critic(),
    c2 = critic();
  out.twinCriticGflopsPerCpuSecond = +cpuRate(
    () => addon.twinReluCriticMin(act, q1, q2, grad, meta, ...c1, ...c2),
    2 * MC * (2 * (A * H + H * H + H) + H * H + H * A),
  ).toFixed(1);
}
console.log(JSON.stringify(out));
