/**
 * The browser (or any host without Node-API) has no native addon: no backend is registered and
 * the native bulk generators are absent, so the TypeScript backend and generators are used.
 * Same exports as src/host/node/native.ts.
 */
import type { NormalBulk, PhiloxBulk } from '../../engine/rng.ts';

export function nativePhiloxBulk(): PhiloxBulk | null {
  return null;
}

export function nativeNormalBulk(): NormalBulk | null {
  return null;
}
