#!/usr/bin/env node
// The `rfm` command: runs the compiled package (dist/, which `npm run build` makes; `npm install`
// and `npm test` in a clone run it). RFM_FROM_SOURCE=1 runs src/ through tsx instead (development).
const { main } =
  process.env.RFM_FROM_SOURCE === '1'
    ? await fromSource()
    : await import('../dist/cli/main.js').catch(missingDist);
const code = await main(process.argv.slice(2));
process.exitCode = code;

async function fromSource() {
  const { register } = await import('tsx/esm/api');
  register();
  return import('../src/cli/main.ts');
}

function missingDist(e) {
  if (e?.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist/cli/main.js')) {
    console.error(
      'rfm: the compiled package (dist/) is missing; run `npm run build` (or RFM_FROM_SOURCE=1 to run src/ through tsx)',
    );
    process.exit(1);
  }
  throw e;
}
