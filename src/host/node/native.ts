/**
 * The native backend under Node: importing the addon's module registers it (see
 * src/engine/registry.ts). Imported by src/engine/index.ts; in the browser bundle
 * (src/demo/bundle.ts) its counterpart, src/host/browser/native.ts, registers nothing.
 */
import '../../engine/backend-native.ts';
export { nativePhiloxBulk, nativeNormalBulk } from '../../engine/backend-native.ts';
