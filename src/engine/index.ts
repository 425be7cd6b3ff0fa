/** The engine's public surface: tensors, autodiff, random numbers, backends. */
// The native backend registers itself under Node (nothing is registered in a browser).
import '../host/node/native.ts';
// The WebAssembly backend (RFM_BACKEND=wasm) reads its module from the package under Node.
import '../host/node/wasm.ts';
export * from './tensor.ts';
export * from './rng.ts';
export * from './registry.ts';
export type {
  Backend,
  Storage,
  View,
  UnaryOp,
  BinaryOp,
  Activation,
  AdamParams,
  MlpLayerStorage,
  ReluCriticStorage,
} from './backend.ts';
export { UNARY_OPS, BINARY_OPS } from './backend.ts';
export { TsBackend } from './backend-ts.ts';
export {
  WasmBackend,
  wasmBackendFromBytes,
  registerWasmBackend,
  wasmLoadError,
} from './backend-wasm.ts';
export { nativePhiloxBulk, nativeNormalBulk } from '../host/node/native.ts';
