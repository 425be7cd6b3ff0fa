// The dashboard in a real browser: Debian's chromium driven by playwright-core (no browser
// download). Without /usr/bin/chromium this test fails under CI=true and is skipped elsewhere.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDashboard } from '../../src/dashboard/server.ts';
import type { Dashboard } from '../../src/dashboard/server.ts';
import { makeEnv } from '../../src/envs/index.ts';
import { recordRollout, writeRollout } from '../../src/viz/rollout-record.ts';
import { decodePng, lumaVariance } from '../../src/viz/png.ts';
import { makeRunsFolder } from './helpers.ts';
import { CHROMIUM, LAUNCH_ARGS } from '../../bench/chromium.ts';

const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true' || process.env.CI === '1';
const skip =
  !haveChromium && !inCi
    ? `no ${CHROMIUM} (apt-get install -y chromium); required when CI=true`
    : false;

describe('dashboard in chromium', { skip, timeout: 120_000 }, () => {
  let root: string;
  let runs: string;
  let d: Dashboard;
  let frames = 0;
  // playwright-core types are loaded lazily so the skip path needs nothing
  let browser: import('playwright-core').Browser;

  before(async () => {
    assert.ok(
      haveChromium,
      `${CHROMIUM} is missing: CI must install Debian's chromium (see .ci/run)`,
    );
    root = mkdtempSync(join(tmpdir(), 'rfm-browser-'));
    runs = makeRunsFolder(root);
    const env = await makeEnv('Hopper-v5');
    let t = 0;
    const rec = recordRollout(
      env,
      () => [0.2 * Math.sin(0.3 * t), 0.2 * Math.cos(0.2 * t), 0.2 * Math.sin(0.1 * t++)],
      { seed: 1, maxSteps: 60 },
    );
    env.close();
    frames = rec.steps + 1;
    writeRollout(join(runs, 'rfm-Pendulum-v1-seed0', 'eval.rollout.json'), rec);
    d = await startDashboard({ runsDir: runs, port: 0, pollMs: 200 });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  });

  after(async () => {
    await browser?.close();
    await d?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('lists the runs, draws their curves, adds a live point, and replays a rollout in 3-D', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(d.url);
    // the runs are listed
    await page.waitForSelector('#runs li[data-run="rfm-Pendulum-v1-seed0"]');
    await page.waitForSelector('#runs li[data-run="sweep/sac-Pendulum-v1-seed1"]');
    // both are selected at start and their eval/return curves are drawn (5 points each)
    await page.waitForFunction(
      () => document.querySelector<HTMLCanvasElement>('#curve')?.dataset.points === '10',
    );
    assert.equal(await page.$eval('#metric', (e) => (e as HTMLSelectElement).value), 'eval/return');
    assert.equal(await page.$eval('#curve', (e) => (e as HTMLCanvasElement).dataset.series), '2');
    const curve = decodePng(await page.locator('#curve').screenshot());
    assert.ok(lumaVariance(curve) > 50, `curve chart variance ${lumaVariance(curve)}`);
    // training appends a row: a live point appears without reloading
    appendFileSync(
      join(runs, 'rfm-Pendulum-v1-seed0', 'metrics.jsonl'),
      JSON.stringify({ step: 5000, 'eval/return': -200 }) + '\n',
    );
    await page.waitForFunction(
      () => document.querySelector<HTMLCanvasElement>('#curve')?.dataset.points === '11',
      undefined,
      { timeout: 10_000 },
    );
    // grouping: one IQM curve per algorithm and task
    await page.click('#aggregate');
    await page.waitForFunction(
      () => document.querySelector<HTMLCanvasElement>('#curve')?.dataset.series === '2',
    );
    // RFM diagnostics
    await page.click('#tabs button[data-tab=diagnostics]');
    await page.waitForSelector('canvas[data-metric="rfm/ess"][data-points="10"]');
    await page.waitForSelector('canvas[data-metric="temperature"]');
    // 3-D replay: MuJoCo in the browser places the geoms, three.js draws them
    await page.click('#tabs button[data-tab=replay]');
    await page.waitForSelector('#viewer[data-ready="true"]', { timeout: 60_000 });
    assert.ok(frames >= 10, `the recording has ${frames} frames`);
    const mid = Math.floor(frames / 2);
    await page.$eval(
      '.viewer-scrub',
      (e, v) => {
        (e as HTMLInputElement).value = String(v);
        e.dispatchEvent(new Event('input'));
      },
      mid,
    );
    await page.waitForSelector(`#viewer[data-frame="${mid}"]`);
    const shot = await page.locator('.viewer-canvas').screenshot({
      path: process.env.RFM_SCREENSHOT_DIR
        ? join(process.env.RFM_SCREENSHOT_DIR, 'replay.png')
        : undefined,
    });
    const img = decodePng(shot);
    assert.ok(img.width > 300 && img.height > 200);
    assert.ok(lumaVariance(img) > 30, `3-D view looks blank (variance ${lumaVariance(img)})`);
    // play runs on from the scrubbed frame
    await page.click('.viewer-play');
    await page.waitForFunction(
      (m) => Number(document.querySelector<HTMLElement>('#viewer')?.dataset.frame) > m,
      mid,
      { timeout: 10_000 },
    );
    assert.deepEqual(errors, []);
    await page.close();
  });
});
