/**
 * The WebAssembly backend under Node: registers `wasm` (RFM_BACKEND=wasm), its module read from
 * native/wasm/rfm_kernels.wasm two folders above this file's folder (src/host/node/ or
 * dist/host/node/ to the package root). `RFM_WASM_PATH=FILE` names another build. In the browser
 * bundle this module becomes src/host/browser/wasm.ts.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { registerWasmBackend } from '../../engine/backend-wasm.ts';

/** The module's file: RFM_WASM_PATH, else the package's native/wasm/rfm_kernels.wasm. */
export function wasmKernelsPath(): string {
  return (
    process.env.RFM_WASM_PATH ||
    fileURLToPath(new URL('../../../native/wasm/rfm_kernels.wasm', import.meta.url))
  );
}

registerWasmBackend(() => readFileSync(wasmKernelsPath()));
