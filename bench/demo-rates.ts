/**
 * Update rates of the demo page's runs (Pendulum-v1, small preset, TypeScript backend) in Node and
 * in Chromium (the page's Web Worker), side by side in one run. Both time from the end of the first
 * update to the end of the last (random-action steps excluded); environment steps and evaluations
 * between updates are included, as in the page.
 *
 *   node --import tsx bench/demo-rates.ts [--sac 400] [--rfm 40]     (updates per algorithm)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../src/config/index.ts';
import { setBackend } from '../src/engine/index.ts';
import { runTraining } from '../src/train/loop-core.ts';
import { buildSite } from '../src/demo/site.ts';
import { serveSite } from '../src/demo/serve.ts';
import { launchChromium } from './chromium.ts';

const argv = process.argv.slice(2);
const arg = (k: string, d: number) => {
  const i = argv.indexOf(`--${k}`);
  return i >= 0 ? Number(argv[i + 1]) : d;
};
const RANDOM = 500; // the small preset's random steps
const runs = [
  { algo: 'sac', updates: arg('sac', 400) },
  { algo: 'rfm', updates: arg('rfm', 40) },
] as const;

async function inNode(algo: string, updates: number): Promise<number> {
  setBackend('ts');
  const cfg = resolveConfig({
    algo,
    envId: 'Pendulum-v1',
    preset: 'small',
    sets: [
      `train.steps=${RANDOM + updates}`,
      'train.evalEvery=100000',
      'train.checkpointEvery=100000',
    ],
  });
  let first = 0;
  let last = 0;
  let n = 0;
  await runTraining('Pendulum-v1', cfg, {
    algo: algo as 'sac',
    seed: 0,
    callbacks: {
      onUpdate: () => {
        const t = performance.now();
        if (++n === 1) first = t;
        last = t;
      },
    },
  });
  return (n - 1) / ((last - first) / 1000);
}

const root = mkdtempSync(join(tmpdir(), 'rfm-demo-rates-'));
try {
  await buildSite(join(root, 'site'));
  const server = await serveSite(join(root, 'site'), { port: 0 });
  const browser = await launchChromium();
  try {
    for (const { algo, updates } of runs) {
      const page = await browser.newPage();
      const q = new URLSearchParams({
        task: 'Pendulum-v1',
        algo,
        seed: '0',
        steps: String(RANDOM + updates),
        every: '100000',
      });
      await page.goto(`${server.url}?${q}`);
      await page.waitForSelector('body[data-ready="true"]');
      await page.click('#train');
      await page.waitForSelector('body[data-done="true"]', { timeout: 600_000 });
      const done = (await page.evaluate('window.rfmDemo.done')) as {
        updates: number;
        updateSeconds: number;
      };
      await page.close();
      const chromiumRate = (done.updates - 1) / done.updateSeconds;
      const nodeRate = await inNode(algo, updates);
      console.log(
        `${algo} small, Pendulum-v1, ${updates} updates: Chromium ${chromiumRate.toFixed(2)} updates/s, Node ${nodeRate.toFixed(2)} updates/s (Chromium / Node = ${(chromiumRate / nodeRate).toFixed(2)})`,
      );
    }
  } finally {
    await browser.close();
    await server.close();
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
