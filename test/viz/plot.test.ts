import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { curveGroups, learningCurvesSvg, pngSize, svgToPng } from '../../src/viz/plot.ts';
import { decodePng, lumaVariance } from '../../src/viz/png.ts';
import { expandGlob, findRuns, parseMetricsJsonl, resolveRunArgs } from '../../src/viz/runs.ts';
import { main } from '../../src/cli/main.ts';

let dir: string;

/** Runs of two algorithms on two tasks, 3 seeds each; returns are step/1000 * (1 + seed) (+10 for rfm). */
function makeRuns(root: string): void {
  for (const algo of ['sac', 'rfm'])
    for (const env of ['Pendulum-v1', 'Hopper-v5'])
      for (let seed = 0; seed < 3; seed++) {
        const d = join(root, `${algo}-${env}-s${seed}`);
        mkdirSync(join(d, 'checkpoints'), { recursive: true });
        writeFileSync(
          join(d, 'config.json'),
          JSON.stringify({ algo, env, seed, config: { train: { steps: 4000 } } }),
        );
        const lines: string[] = [];
        for (let step = 0; step <= 4000; step += 1000) {
          lines.push(
            JSON.stringify({
              step,
              'eval/return': (step / 1000) * (1 + seed) + (algo === 'rfm' ? 10 : 0),
            }),
          );
          lines.push(JSON.stringify({ step: step + 1, 'loss/critic': 1 / (step + 1) }));
        }
        writeFileSync(join(d, 'metrics.jsonl'), lines.join('\n') + '\n{"step": 5000, "eval/ret'); // a half-written last line
      }
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rfm-plot-'));
  makeRuns(join(dir, 'runs'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('run folders', () => {
  it('finds runs and reads algo, task and seed from config.json', () => {
    const runs = findRuns(join(dir, 'runs'));
    assert.equal(runs.length, 12);
    const r = runs.find((x) => x.id === 'rfm-Hopper-v5-s2')!;
    assert.deepEqual([r.algo, r.env, r.seed], ['rfm', 'Hopper-v5', 2]);
  });

  it('skips a half-written last line of metrics.jsonl', () => {
    const rows = parseMetricsJsonl(
      '{"step": 1, "a": 2}\n\nnot json\n{"step": 2, "a": 3, "s": "text"}\n{"step": 3, "a"',
    );
    assert.deepEqual(rows, [
      { step: 1, a: 2 },
      { step: 2, a: 3 },
    ]);
  });

  it('expands globs', () => {
    const got = expandGlob(join(dir, 'runs', 'sac-*-s1'));
    assert.deepEqual(
      got.map((p) => p.split('/').pop()),
      ['sac-Hopper-v5-s1', 'sac-Pendulum-v1-s1'],
    );
    assert.equal(expandGlob(join(dir, '**', 'rfm-Hopper*')).length, 3);
    assert.equal(resolveRunArgs([join(dir, 'runs', '*-Hopper-v5-*')]).length, 6);
    assert.throws(() => resolveRunArgs([join(dir, 'nothing-*')]), /no run folder matches/);
  });
});

describe('learning curves', () => {
  it('groups by task and algorithm with the IQM across seeds', () => {
    const groups = curveGroups(findRuns(join(dir, 'runs')), 'eval/return', { resamples: 200 });
    assert.equal(groups.length, 4);
    const g = groups.find((x) => x.env === 'Hopper-v5' && x.algo === 'sac')!;
    assert.equal(g.runs.length, 3);
    assert.deepEqual(g.curve.steps, [0, 1000, 2000, 3000, 4000]);
    // at step 4000 the seeds give 4, 8, 12: fewer than 4 values, so the IQM is their mean
    assert.equal(g.curve.iqm[4], 8);
    assert.ok(
      g.curve.low[4] >= 4 && g.curve.high[4] <= 12 && g.curve.low[4] < 8 && g.curve.high[4] > 8,
    );
  });

  it('draws one panel per task with a band and a line per algorithm, labelled axes', () => {
    const groups = curveGroups(findRuns(join(dir, 'runs')), 'eval/return', { resamples: 200 });
    const svg = learningCurvesSvg(groups);
    assert.equal((svg.match(/<polygon class="band"/g) ?? []).length, 4);
    assert.equal((svg.match(/<g class="series"/g) ?? []).length, 4);
    assert.equal((svg.match(/<polyline /g) ?? []).length, 4);
    assert.equal((svg.match(/class="x-label">environment steps</g) ?? []).length, 2);
    assert.match(svg, /class="y-label">return \(IQM, 95% CI\)</);
    assert.match(svg, /class="title">Hopper-v5</);
    assert.throws(() => learningCurvesSvg([]), /no run has values/);
  });

  it('rasterises to a PNG of the expected size that is not blank', () => {
    const groups = curveGroups(
      findRuns(join(dir, 'runs')).filter((r) => r.env === 'Hopper-v5'),
      'eval/return',
      { resamples: 100 },
    );
    const png = svgToPng(learningCurvesSvg(groups, { width: 400, height: 300 }));
    assert.deepEqual(pngSize(png), { width: 400, height: 300 });
    const img = decodePng(png);
    assert.equal(img.rgba.length, 400 * 300 * 4);
    assert.ok(lumaVariance(img) > 100, `variance ${lumaVariance(img)}`);
    // the plotting area holds coloured pixels (the curves), not only grey axes
    let coloured = 0;
    for (let i = 0; i < img.rgba.length; i += 4)
      if (Math.abs(img.rgba[i] - img.rgba[i + 2]) > 80) coloured++;
    assert.ok(coloured > 200, `${coloured} coloured pixels`);
  });

  it('rfm plot writes PNG and SVG files', async () => {
    const png = join(dir, 'out', 'curves.png');
    const log = console.log;
    console.log = () => {};
    try {
      assert.equal(
        await main(['plot', join(dir, 'runs', '*'), '--out', png, '--resamples', '100']),
        0,
      );
      assert.equal(
        await main([
          'plot',
          join(dir, 'runs'),
          '--metric',
          'loss/critic',
          '--out',
          join(dir, 'out', 'loss.svg'),
          '--resamples',
          '50',
        ]),
        0,
      );
    } finally {
      console.log = log;
    }
    const size = pngSize(readFileSync(png));
    assert.deepEqual(size, { width: 2 * 560, height: 380 }); // two task panels side by side
    assert.match(readFileSync(join(dir, 'out', 'loss.svg'), 'utf8'), /^<svg /);
    const err = console.error;
    console.error = () => {};
    try {
      assert.equal(await main(['plot', join(dir, 'runs'), '--out', join(dir, 'x.gif')]), 2);
      assert.equal(
        await main(['plot', join(dir, 'runs'), '--metric', 'nope', '--out', join(dir, 'x.svg')]),
        1,
      );
    } finally {
      console.error = err;
    }
  });
});
