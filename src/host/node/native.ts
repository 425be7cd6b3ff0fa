/**
 * The native backend under Node: importing the addon's module registers it (see
 * src/engine/registry.ts). Reached through the package import '#host/native', whose browser
 * counterpart (src/host/browser/native.ts) registers nothing.
 */
import '../../engine/backend-native.ts';
export { nativePhiloxBulk, nativeNormalBulk } from '../../engine/backend-native.ts';
