// The demo page in a real browser: Debian's chromium driven by playwright-core (no browser
// download). Without /usr/bin/chromium this test fails under CI=true and is skipped elsewhere.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSite } from '../../src/demo/site.ts';
import { serveSite, type DemoServer } from '../../src/demo/serve.ts';
import { FIRST_UPDATES } from '../../src/demo/protocol.ts';
import { resolveConfig } from '../../src/config/index.ts';
import { getBackend, setBackend } from '../../src/engine/index.ts';
import { runTraining } from '../../src/train/loop-core.ts';
import { evaluate, loadAgent, train } from '../../src/train/index.ts';
import { CHROMIUM, LAUNCH_ARGS } from '../../bench/chromium.ts';

const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true' || process.env.CI === '1';
const skip =
  !haveChromium && !inCi
    ? `no ${CHROMIUM} (apt-get install -y chromium); required when CI=true`
    : false;

/** The page's SAC run: Pendulum-v1, small preset but 200 random steps, 2000 steps, evaluation and checkpoint every 500. */
const SAC_RUN: [string, string][] = [
  ['task', 'Pendulum-v1'],
  ['algo', 'sac'],
  ['seed', '0'],
  ['steps', '2000'],
  ['every', '500'],
  ['set', 'train.randomSteps=200'],
];
/**
 * Measured on the development machine (TypeScript backend; the same run in Node gives the same
 * evaluations): returns (5 episodes) -1599 at step 500, -1739, -1650 and -1115 at step 2000 (and
 * -688 at 2500; with the preset's 500 random steps: -1117 at 500, -356 at 3500, -303 at 5000).
 * The test asks for the last evaluation to be above -1250 and at least 400 above the first; it
 * stops at 2000 steps to keep the browser tests short.
 */
const MIN_RISE = 400;
const MIN_LAST = -1250;

describe('the demo page in chromium', { skip, timeout: 180_000 }, () => {
  let root: string;
  let server: DemoServer;
  let browser: import('playwright-core').Browser;
  let cliRun: string;

  before(async () => {
    assert.ok(haveChromium, `${CHROMIUM} is missing: CI must install Debian's chromium`);
    root = mkdtempSync(join(tmpdir(), 'rfm-demo-page-'));
    await buildSite(join(root, 'site'));
    server = await serveSite(join(root, 'site'), { port: 0 });
    // a run trained by the CLI's loop (Node), for Load
    const before = getBackend();
    setBackend('ts');
    try {
      const cfg = resolveConfig({
        algo: 'sac',
        envId: 'Pendulum-v1',
        preset: 'small',
        sets: [
          'train.steps=150',
          'train.randomSteps=100',
          'train.evalEvery=0',
          'train.evalEpisodes=1',
          'train.checkpointEvery=150',
        ],
      });
      const r = await train('Pendulum-v1', cfg, {
        algo: 'sac',
        seed: 5,
        outDir: join(root, 'runs'),
        runName: 'cli',
      });
      cliRun = r.runDir!;
    } finally {
      setBackend(before);
    }
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** A page with every console error, page error and failed request collected. */
  async function open(query: Record<string, string> | [string, string][]) {
    const page = await browser.newPage({
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) =>
      problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`),
    );
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    await page.goto(`${server.url}?${new URLSearchParams(query)}`);
    await page.waitForSelector('body[data-ready="true"]');
    return { page, problems };
  }

  it("trains SAC on Pendulum-v1: the evaluation return rises, clicks are answered at once, the first updates equal Node's, the checkpoint evaluates with rfm eval", async () => {
    const { page, problems } = await open(SAC_RUN);
    const t0 = Date.now();
    await page.click('#train');
    // during training (past the random steps): Pause, measured inside the page, then Resume
    await page.waitForFunction(
      () => Number(document.querySelector('#step')?.textContent) > 400,
      undefined,
      { timeout: 60_000 },
    );
    // (a string: tsx's transform would add helpers that the page does not have)
    const answer: { page: number; worker: number } = await page.evaluate(`new Promise((done) => {
      const button = document.querySelector('#train');
      const t = performance.now();
      button.click();
      const pageMs = button.dataset.state === 'paused' ? performance.now() - t : Infinity;
      const timer = setInterval(() => {
        if (button.dataset.ack !== 'paused') return;
        clearInterval(timer);
        done({ page: pageMs, worker: performance.now() - t });
      }, 2);
    })`);
    assert.ok(answer.page < 200, `the page answered the click after ${answer.page} ms`);
    assert.ok(
      answer.worker < 1000,
      `the training worker acknowledged the pause after ${answer.worker} ms`,
    );
    const stepAtPause = Number(await page.textContent('#step'));
    await page.waitForTimeout(300);
    assert.ok(Number(await page.textContent('#step')) - stepAtPause <= 1, 'no steps while paused');
    await page.click('#train');
    await page.waitForSelector('body[data-done="true"]', { timeout: 120_000 });
    const seconds = (Date.now() - t0) / 1000;
    const st = await page.evaluate(() => {
      const s = (
        window as unknown as {
          rfmDemo: { evalPoints: number[][]; firstUpdates: Record<string, number>[] };
        }
      ).rfmDemo;
      return {
        evals: s.evalPoints,
        first: s.firstUpdates,
        ups: Number(document.querySelector<HTMLElement>('#ups')!.dataset.value),
      };
    });
    console.log(
      `# page: SAC Pendulum-v1 2000 steps in ${seconds.toFixed(1)} s; evaluations ${JSON.stringify(st.evals)}; click answered in ${answer.page.toFixed(1)} ms (worker ${answer.worker.toFixed(1)} ms)`,
    );
    assert.deepEqual(
      st.evals.map((p) => p[0]),
      [500, 1000, 1500, 2000],
    );
    const returns = st.evals.map((p) => p[1]);
    const [first, last] = [returns[0], returns[returns.length - 1]];
    assert.ok(
      Number(await page.getAttribute('#curve', 'data-points')) > returns.length,
      'the curve has the evaluations and the training episodes',
    );
    assert.ok(
      last - first >= MIN_RISE && last > MIN_LAST,
      `evaluation returns ${first} -> ${last}`,
    );

    // determinism across hosts: Node's loop on the TypeScript backend, same seed and settings
    const backend = getBackend();
    setBackend('ts');
    const node: Record<string, number>[] = [];
    try {
      const cfg = resolveConfig({
        algo: 'sac',
        envId: 'Pendulum-v1',
        preset: 'small',
        sets: [
          `train.steps=${200 + FIRST_UPDATES}`,
          'train.evalEvery=500',
          'train.checkpointEvery=500',
          'train.randomSteps=200',
        ],
      });
      await runTraining('Pendulum-v1', cfg, {
        algo: 'sac',
        seed: 0,
        callbacks: { onUpdate: (m) => void (node.length < FIRST_UPDATES && node.push({ ...m })) },
      });
    } finally {
      setBackend(backend);
    }
    assert.equal(st.first.length, FIRST_UPDATES);
    // Identical but for the last bits of Math.exp / sin / cos, which Chromium's V8 and Node 20's
    // round differently on a few inputs (measured: 1 ulp on 3-10% of them): relative 1e-9 at most.
    assert.deepEqual(
      st.first.map((r) => Object.keys(r).sort()),
      node.map((r) => Object.keys(r).sort()),
      'the same metrics',
    );
    st.first.forEach((row, i) => {
      for (const [k, v] of Object.entries(row)) {
        const w = node[i][k];
        assert.ok(
          v === w || Math.abs(v - w) <= 1e-9 * Math.max(Math.abs(v), Math.abs(w)),
          `update ${i}, ${k}: page ${v}, Node ${w}`,
        );
      }
    });

    // Download: the run folder as a tar; unpacked, `rfm eval` reproduces the page's last evaluation
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const tarPath = join(root, download.suggestedFilename());
    await download.saveAs(tarPath);
    assert.equal(spawnSync('tar', ['xf', tarPath, '-C', root]).status, 0);
    const runDir = join(root, download.suggestedFilename().replace(/\.tar$/, ''));
    assert.deepEqual(readdirSync(join(runDir, 'checkpoints')), [
      'ckpt-000002000.json',
      'ckpt-000002000.safetensors',
    ]);
    const ev = spawnSync(
      process.execPath,
      ['bin/rfm.mjs', 'eval', runDir, '--episodes', '5', '--json'],
      { encoding: 'utf8', env: { ...process.env, RFM_BACKEND: 'ts' } },
    );
    assert.equal(ev.status, 0, ev.stderr);
    // Equal up to the last bits of Math.sin / cos / exp ...: Chromium's V8 and Node 20's (11.3)
    // round some of them differently (measured), which float64 episode returns can show.
    const shown = Number(await page.getAttribute('#ckpt', 'data-eval-return'));
    const got = JSON.parse(ev.stdout).mean;
    assert.ok(
      Math.abs(got - shown) <= 1e-6 * Math.abs(shown),
      `rfm eval gives ${got}, the page showed ${shown}`,
    );
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('loads a checkpoint trained by the CLI and plays its episode', async () => {
    const { page, problems } = await open({ task: 'Pendulum-v1' });
    // with nothing in the address, steps and evaluation cadence are the CLI's for the task
    for (const algo of ['sac', 'rfm'] as const) {
      await page.selectOption('#algo', algo);
      const want = resolveConfig({ algo, envId: 'Pendulum-v1', preset: 'small', sets: [] }).train;
      await page.waitForSelector(`#every[data-config="${want.evalEvery}"]`);
      assert.deepEqual(
        [await page.inputValue('#steps'), await page.inputValue('#every')],
        [String(want.steps), String(want.evalEvery)],
        algo,
      );
    }
    const ck = readdirSync(join(cliRun, 'checkpoints')).sort();
    // wrong input is a one-line message, and the page carries on
    await page.setInputFiles('#load', [join(cliRun, 'config.json')]);
    await page.waitForSelector('#message.error');
    assert.match(
      (await page.textContent('#message'))!,
      /^no checkpoint \(ckpt-<step>\.json\) among the files$/,
    );
    await page.setInputFiles('#load', [
      join(cliRun, 'config.json'),
      ...ck.map((f) => join(cliRun, 'checkpoints', f)),
    ]);
    await page.waitForFunction(
      () => (window as unknown as { rfmDemo: { loaded: unknown } }).rfmDemo.loaded !== null,
      undefined,
      { timeout: 30_000 },
    );
    const loaded = await page.evaluate(
      () =>
        (
          window as unknown as {
            rfmDemo: { loaded: { step: number; return: number; envId: string } };
          }
        ).rfmDemo.loaded,
    );
    assert.equal(loaded.step, 150);
    assert.equal(loaded.envId, 'Pendulum-v1');
    // the episode it played is evaluation episode 0 of `rfm eval` (same seeds, same policy)
    // on the TypeScript backend, as the page (the native GEMM sums in another order)
    const backend = getBackend();
    setBackend('ts');
    let expected: number;
    try {
      const run = loadAgent(cliRun, { warn: () => {} });
      const env = await run.makeEvalEnv();
      expected = evaluate(run.agent, env.env, 1, run.meta.seed).returns[0];
      env.env.close();
    } finally {
      setBackend(backend);
    }
    assert.ok(
      Math.abs(loaded.return - expected) < 1e-6 * Math.abs(expected),
      `page ${loaded.return}, Node ${expected}`,
    );
    // and it plays: the pendulum's frames advance
    await page.waitForFunction(
      () => Number(document.querySelector<HTMLElement>('#pendulum')?.dataset.frame) > 20,
      undefined,
      { timeout: 10_000 },
    );
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('shows the policy of MuJoCo tasks in 3-D (DMC and Gymnasium) and the sampled actions of RFM', async () => {
    // short runs: few random steps, small batches (the page passes `set` values to the config)
    const short = [
      ['set', 'train.batchSize=16'],
      ['set', 'train.evalEpisodes=1'],
    ] as [string, string][];
    for (const [task, algo, random, samples] of [
      ['cartpole-swingup', 'rfm', 180, true],
      ['HalfCheetah-v5', 'sac', 150, false],
    ] as const) {
      const { page, problems } = await open([
        ['task', task],
        ['algo', algo],
        ['steps', '200'],
        ['every', '200'],
        ['set', `train.randomSteps=${random}`],
        ...short,
      ]);
      await page.click('#train');
      await page.waitForSelector('body[data-done="true"]', { timeout: 60_000 });
      await page.waitForSelector('#viewer[data-ready="true"]', { timeout: 30_000 });
      await page.waitForFunction(
        () => Number(document.querySelector<HTMLElement>('#viewer')?.dataset.frame) > 0,
        undefined,
        { timeout: 10_000 },
      );
      if (samples) await page.waitForSelector('#samples[data-samples="400"]', { timeout: 10_000 });
      else
        assert.equal(
          await page.getAttribute('#samples', 'data-samples'),
          null,
          'no action distribution for SAC on a 6-D task',
        );
      assert.deepEqual(problems, [], task);
      await page.close();
    }
  });

  it("trains RFM on the WebAssembly backend (the site's rfm_kernels.wasm) faster than on the TypeScript one", async () => {
    // RFM small on Pendulum-v1: 60 updates after 200 random steps on each backend, side by side
    const ups: Record<string, number> = {};
    for (const backend of ['ts', 'wasm']) {
      const { page, problems } = await open([
        ['task', 'Pendulum-v1'],
        ['algo', 'rfm'],
        ['seed', '0'],
        ['steps', '260'],
        ['every', '260'],
        ['backend', backend],
        ['set', 'train.randomSteps=200'],
        ['set', 'train.evalEpisodes=1'],
      ]);
      await page.click('#train');
      await page.waitForSelector('body[data-done="true"]', { timeout: 120_000 });
      ups[backend] = Number(await page.getAttribute('#ups', 'data-value'));
      assert.deepEqual(problems, [], backend);
      await page.close();
    }
    console.log(
      `# RFM small, Pendulum-v1, updates/s in chromium: ts ${ups.ts.toFixed(2)}, wasm ${ups.wasm.toFixed(2)}`,
    );
    // measured 36.7 against 9.2 (4.0x), then 54.0 against 10.1 (5.4x: strided ops in wasm too) on the
    // 2-core development machine under other tenants' load; 2x asked
    assert.ok(ups.ts > 0 && ups.wasm > 2 * ups.ts, `wasm ${ups.wasm} updates/s, ts ${ups.ts}`);
  });
});
