/**
 * The page bar of issue 16: RFM (small preset) on Pendulum-v1 trained in the demo page, in
 * Chromium, on the WebAssembly backend, should reach an evaluation return above -400 within 3
 * minutes. Builds the site, serves it, opens the page with the task, algorithm, seed and backend in
 * its address (steps and evaluation cadence: the CLI's resolved config for the task, as the page
 * shows them, unless --steps / --every), presses Train, and prints every evaluation (step, seconds
 * since Train, mean return) as it appears, for up to --minutes, then the time and step of the first
 * evaluation above --threshold. Seconds are read every 200 ms from the page (that resolution);
 * they include the worker's start (fetching the kernels' module, building the agent), the random
 * steps, the evaluations and the policy views that the page plays at each checkpoint.
 *
 *   node --import tsx bench/demo-bar.ts [--minutes 3] [--seed 0] [--backend wasm|ts]
 *       [--threshold -400] [--steps N] [--every N] [--json]
 *
 * Not part of the test suite (minutes long); state the machine's load with its result.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSite } from '../src/demo/site.ts';
import { serveSite } from '../src/demo/serve.ts';
import { launchChromium } from './chromium.ts';

const argv = process.argv.slice(2);
const known = ['minutes', 'seed', 'backend', 'threshold', 'steps', 'every'];
const opts = new Map<string, string>();
for (let i = 0; i < argv.length; i++) {
  const k = argv[i].replace(/^--/, '');
  if (k === 'json') opts.set(k, 'true');
  else if (known.includes(k) && i + 1 < argv.length) opts.set(k, argv[++i]);
  else
    throw new Error(
      `demo-bar: unknown or incomplete option '${argv[i]}' (known: --${known.join(', --')}, --json)`,
    );
}
const num = (k: string, d: number): number => {
  const v = opts.has(k) ? Number(opts.get(k)) : d;
  if (!Number.isFinite(v))
    throw new Error(`demo-bar: --${k} must be a number, got '${opts.get(k)}'`);
  return v;
};
const minutes = num('minutes', 3);
const seed = num('seed', 0);
const threshold = num('threshold', -400);
const backend = opts.get('backend') ?? 'wasm';
if (backend !== 'wasm' && backend !== 'ts')
  throw new Error(`demo-bar: --backend wasm or ts, got '${backend}'`);
const json = opts.has('json');
const log = (s: string) => {
  if (!json) console.log(s);
};

interface Evaluation {
  step: number;
  seconds: number;
  return: number;
}
interface Snapshot {
  evals: number[][];
  step: number;
  ups: number;
  done: boolean;
  steps: string;
  every: string;
}

const root = mkdtempSync(join(tmpdir(), 'rfm-demo-bar-'));
const load0 = loadavg()[0];
try {
  await buildSite(join(root, 'site'));
  const server = await serveSite(join(root, 'site'), { port: 0 });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    const q = new URLSearchParams({
      task: 'Pendulum-v1',
      algo: 'rfm',
      seed: String(seed),
      backend,
    });
    if (opts.has('steps')) q.set('steps', String(num('steps', 0)));
    if (opts.has('every')) q.set('every', String(num('every', 0)));
    await page.goto(`${server.url}?${q}`);
    await page.waitForSelector('body[data-ready="true"]');
    // the CLI's steps and cadence reach the fields (unless given in the address)
    await page.waitForSelector('#every[data-config]', { timeout: 30_000 });
    // (strings: tsx's transform would add helpers that the page does not have)
    const snapshot = async (): Promise<Snapshot> =>
      (await page.evaluate(`({
        evals: window.rfmDemo.evalPoints,
        step: Number(document.querySelector('#step').textContent),
        ups: Number(document.querySelector('#ups').dataset.value ?? 0),
        done: document.body.dataset.done === 'true',
        steps: document.querySelector('#steps').value,
        every: document.querySelector('#every').value,
      })`)) as Snapshot;
    const first = await snapshot();
    log(
      `RFM small, Pendulum-v1, seed ${seed}, ${backend} backend in Chromium: ${first.steps} steps, evaluation every ${first.every}; up to ${minutes} min; load ${load0.toFixed(2)}`,
    );
    const t0 = Date.now();
    await page.click('#train');
    const evals: Evaluation[] = [];
    let crossed: Evaluation | null = null;
    let last = first;
    for (;;) {
      await page.waitForTimeout(200);
      const s = await snapshot();
      const seconds = (Date.now() - t0) / 1000;
      for (const [step, ret] of s.evals.slice(evals.length)) {
        const e = { step, seconds, return: ret };
        evals.push(e);
        if (!crossed && ret > threshold) crossed = e;
        log(
          `  step ${String(step).padStart(6)}  ${seconds.toFixed(1).padStart(6)} s  eval return ${ret.toFixed(1)}${crossed === e ? `  (first above ${threshold})` : ''}`,
        );
      }
      last = s;
      if (s.done || seconds > 60 * minutes) break;
    }
    const seconds = (Date.now() - t0) / 1000;
    if (!last.done) await page.click('#stop');
    const result = {
      task: 'Pendulum-v1',
      algo: 'rfm',
      preset: 'small',
      seed,
      backend,
      steps: Number(first.steps),
      evalEvery: Number(first.every),
      threshold,
      minutes,
      evaluations: evals,
      firstAbove: crossed,
      bar: crossed !== null && crossed.seconds <= 180,
      stepReached: last.step,
      seconds,
      updatesPerSecond: last.ups,
      loadBefore: load0,
      loadAfter: loadavg()[0],
      problems,
    };
    if (json) console.log(JSON.stringify(result));
    else {
      log(
        crossed
          ? `first evaluation above ${threshold}: step ${crossed.step}, ${crossed.seconds.toFixed(1)} s after Train (bar of 180 s ${result.bar ? 'met' : 'not met'})`
          : `no evaluation above ${threshold} in ${seconds.toFixed(0)} s (step ${last.step})`,
      );
      log(
        `updates/s at the end ${last.ups.toFixed(1)}; load ${load0.toFixed(2)} before, ${result.loadAfter.toFixed(2)} after${problems.length ? `; page problems: ${problems.join(' | ')}` : ''}`,
      );
    }
    await page.close();
  } finally {
    await browser.close();
    await server.close();
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
