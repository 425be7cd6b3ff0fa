/**
 * Where the native addon is looked for, in order:
 *
 *   1. prebuilds/<platform>-<arch>/rfm_native.node   (shipped in the package; `npm run prebuilds`)
 *   2. build/Release/rfm_native.node                 (node-gyp, at install when no prebuild fits)
 *
 * Both relative to the package root, two folders above this file (src/engine/ or dist/engine/).
 * `RFM_NATIVE_PATH=FILE` names one addon file instead (tests, other builds). The first candidate
 * that loads wins; when none does, the TypeScript backend runs (said once, src/engine/registry.ts).
 *
 * A prebuild compiled for its build machine's instruction set (binding.gyp's `-march=native`)
 * would stop the process with an illegal instruction on a CPU without it, so `npm run prebuilds`
 * writes the build machine's instruction-set flags next to such an addon
 * (rfm_native.json: { "requires": [...] }) and a CPU that lacks one of them skips that prebuild.
 * (An addon that picks its kernels at run time needs no such file.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** `<platform>-<arch>` of this process, e.g. linux-x64: the prebuilds/ folder it uses. */
export const PREBUILD_TAG = `${process.platform}-${process.arch}`;

/** The addon files to try, most preferred first. */
export function nativeAddonCandidates(): string[] {
  const own = process.env.RFM_NATIVE_PATH;
  if (own) return [own];
  const at = (rel: string) => fileURLToPath(new URL(`../../${rel}`, import.meta.url));
  return [at(`prebuilds/${PREBUILD_TAG}/rfm_native.node`), at('build/Release/rfm_native.node')];
}

/** Instruction-set flags that `-march=native` may use: the ones a prebuild's sidecar records. */
export const ISA_FLAG =
  /^(sse|ssse|avx|fma|f16c|bmi|popcnt|abm|movbe|adx|aes|pclmul|sha|vaes|vpclmul|gfni|amx)/;

/** This CPU's flags from /proc/cpuinfo (null where there is no such file). */
export function cpuFlags(): Set<string> | null {
  if (!existsSync('/proc/cpuinfo')) return null;
  const m = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
  return m ? new Set(m[1].trim().split(/\s+/)) : null;
}

/** Why this CPU cannot run the addon `file` (its sidecar's required flags it lacks), or null. */
export function missingCpuFeatures(
  file: string,
  flags: Set<string> | null = cpuFlags(),
): string[] | null {
  const sidecar = file.replace(/\.node$/, '.json');
  if (!existsSync(sidecar) || flags === null) return null;
  const { requires = [] } = JSON.parse(readFileSync(sidecar, 'utf8')) as { requires?: string[] };
  const missing = requires.filter((f) => !flags.has(f));
  return missing.length > 0 ? missing : null;
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
    const missing = missingCpuFeatures(file);
    if (missing) {
      failures.push(`${file}: built for a CPU with ${missing.join(' ')}`);
      continue;
    }
    try {
      const addon = require(file) as T;
      nativeAddonPath = file;
      return addon;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      failures.push(
        `${file}: ${err.code === 'MODULE_NOT_FOUND' ? 'not found' : err.message.split('\n')[0]}`,
      );
    }
  }
  throw new Error(`no native addon loaded (${failures.join('; ')})`);
}
