/**
 * In the browser the page (or its worker) fetches native/wasm/rfm_kernels.wasm itself and calls
 * `registerWasmBackend(() => bytes)` (src/engine/backend-wasm.ts); nothing is read here. Same
 * exports as src/host/node/wasm.ts.
 */
export function wasmKernelsPath(): string {
  return 'rfm_kernels.wasm';
}
