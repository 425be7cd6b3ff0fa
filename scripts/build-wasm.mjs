// Builds the WebAssembly backend's module, native/wasm/rfm_kernels.wasm: the kernel sources of
// native/src/ (gemm.cc, elementwise.cc, fused.cc; not the Node-API glue nor the thread pool),
// the single-threaded pool of native/wasm/pool_serial.cc and the exports of native/wasm/exports.cc,
// for wasm32 with 128-bit SIMD, by clang with wasi-libc (libc, libm) and libc++'s headers.
//
// The .wasm is committed (about 350 KB), so installs, browsers and machines without a compiler
// use it as is; run this after changing a kernel source (`npm run build:wasm`) and commit the result.
// Debian 12: apt-get install clang lld wasi-libc libc++-dev-wasm32 libclang-rt-dev-wasm32
// (CLANG=clang++-NN picks another clang; WASI_SYSROOT=DIR another sysroot than /usr).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { spawnSync } from 'node:child_process';

const clang = process.env.CLANG || 'clang++';
const sysroot = process.env.WASI_SYSROOT || '/usr';
const out = 'native/wasm/rfm_kernels.wasm';
const sources = [
  'native/src/gemm.cc',
  'native/src/elementwise.cc',
  'native/src/fused.cc',
  'native/wasm/pool_serial.cc',
  'native/wasm/exports.cc',
];
const flags = [
  '--target=wasm32-wasi',
  `--sysroot=${sysroot}`,
  '-O3',
  '-msimd128',
  '-std=c++17',
  '-fno-exceptions',
  '-fno-rtti',
  // wasm has no fused multiply-add; say so, so that the results round as the TypeScript backend's
  '-ffp-contract=off',
  // GCC's optimize("fp-contract=off") attributes of the sources; clang's pragma does their work
  '-Wno-unknown-attributes',
];

function run(args) {
  const r = spawnSync(clang, args, { stdio: 'inherit' });
  if (r.error) {
    console.error(
      `[rfm] ${clang}: ${r.error.message} (Debian: apt-get install clang lld wasi-libc libc++-dev-wasm32 libclang-rt-dev-wasm32)`,
    );
    process.exit(1);
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const tmp = mkdtempSync(join(tmpdir(), 'rfm-wasm-'));
try {
  const objects = sources.map((src) => {
    const obj = join(tmp, basename(src, '.cc') + '.o');
    run([...flags, '-c', src, '-o', obj]);
    return obj;
  });
  // a library, not a program: no entry point; only the functions marked export_name are exported
  run([...flags, '-nostartfiles', '-Wl,--no-entry', '-Wl,--strip-all', '-o', out, ...objects]);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`[rfm] ${out}: ${statSync(out).size} bytes`);
