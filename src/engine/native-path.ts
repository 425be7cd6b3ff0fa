/**
 * Where the native addon is looked for, in order:
 *
 *   1. build/Release/rfm_native.node                 (node-gyp: a source checkout's own build, or
 *                                                     the install script's where no prebuild fits)
 *   2. prebuilds/<platform>-<arch>/rfm_native.node   (shipped in the package; `npm run prebuilds`)
 *
 * Both relative to the package root, two folders above this file (src/engine/ or dist/engine/).
 * `RFM_NATIVE_PATH=FILE` names one addon file instead (tests, other builds). The first candidate
 * that loads wins; when none does, the TypeScript backend runs (said once, src/engine/registry.ts).
 * One x86-64 addon serves every x86-64 CPU: it picks its instruction-set tier at load
 * (native/README.md), so a prebuild needs no record of the machine that built it.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** `<platform>-<arch>` of this process, e.g. linux-x64: the prebuilds/ folder it uses. */
export const PREBUILD_TAG = `${process.platform}-${process.arch}`;

/** The addon files to try, most preferred first. */
export function nativeAddonCandidates(): string[] {
  const own = process.env.RFM_NATIVE_PATH;
  if (own) return [own];
  const at = (rel: string) => fileURLToPath(new URL(`../../${rel}`, import.meta.url));
  return [at('build/Release/rfm_native.node'), at(`prebuilds/${PREBUILD_TAG}/rfm_native.node`)];
}

/** The file the addon was loaded from (null until one loads). */
export let nativeAddonPath: string | null = null;

/**
 * Loads the first candidate that loads. Throws an Error listing each candidate's failure when
 * none does (the caller records it and falls back).
 */
export function loadNativeAddon<T>(): T {
  const require = createRequire(import.meta.url);
  const failures: string[] = [];
  for (const file of nativeAddonCandidates()) {
    try {
      const addon = require(file) as T;
      nativeAddonPath = file;
      return addon;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // the addon loaded but refuses the tier RFM_ISA forces: another file would refuse it too
      if (err.code === 'ERR_RFM_ISA') throw err;
      failures.push(
        `${file}: ${err.code === 'MODULE_NOT_FOUND' ? 'not found' : err.message.split('\n')[0]}`,
      );
    }
  }
  throw new Error(`no native addon loaded (${failures.join('; ')})`);
}
