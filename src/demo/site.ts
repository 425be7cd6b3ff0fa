/**
 * The demo site: a static folder that any web server can host, nothing loaded from elsewhere.
 *
 *   index.html, style.css   the page (src/demo/static/)
 *   page.js                 the page's script with three.js and the dashboard's 3-D viewer and charts, bundled
 *   worker.js               the training worker (src/demo/worker.ts) with the library, bundled
 *   mujoco_wasm.js          MuJoCo's WebAssembly build (npm mujoco-js; the wasm is inlined in it)
 *   rfm_kernels.wasm        the wasm backend's kernels (native/wasm/; the worker fetches it when the page picks that backend)
 *
 * Both bundles are checked to reach no Node built-in (./bundle.ts).
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDirs } from '../train/files.ts';
import { bundleForBrowser, MUJOCO_FILE } from './bundle.ts';
import { WASM_KERNELS_FILE } from './protocol.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The worker's entry sits beside this module: TypeScript in src/, JavaScript in dist/. */
const SOURCE_EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** The files of the site, as written by buildSite. */
export const SITE_FILES = [
  'index.html',
  'style.css',
  'page.js',
  'worker.js',
  MUJOCO_FILE,
  WASM_KERNELS_FILE,
] as const;
/** The wasm backend's module in the package (native/wasm/, two folders above src/demo/ or dist/demo/). */
const WASM_KERNELS = join(HERE, '..', '..', 'native', 'wasm', WASM_KERNELS_FILE);

/** mujoco-js's module file. */
export function mujocoModulePath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mujoco-js')), MUJOCO_FILE);
}

/** Writes the site into `outDir` (created if missing; the files above are replaced). Returns their paths. */
export async function buildSite(
  outDir: string,
  opts: { minify?: boolean } = {},
): Promise<string[]> {
  const minify = opts.minify ?? true;
  // bundle first: a failure leaves the folder as it was
  const worker = await bundleForBrowser(join(HERE, `worker${SOURCE_EXT}`), { minify });
  const page = await bundleForBrowser(join(HERE, 'static', 'page.js'), { minify });
  makeDirs(outDir);
  writeFileSync(join(outDir, 'worker.js'), worker);
  writeFileSync(join(outDir, 'page.js'), page);
  for (const f of ['index.html', 'style.css'])
    writeFileSync(join(outDir, f), readFileSync(join(HERE, 'static', f)));
  copyFileSync(mujocoModulePath(), join(outDir, MUJOCO_FILE));
  copyFileSync(WASM_KERNELS, join(outDir, WASM_KERNELS_FILE));
  return SITE_FILES.map((f) => join(outDir, f));
}
