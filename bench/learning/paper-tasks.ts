/**
 * The learning benchmark on the paper's eight DeepMind Control tasks (issue 15, part 3): a sweep
 * grid for `rfm sweep`, and the publication of a finished sweep under docs/benchmarks/.
 *
 *   npx tsx bench/learning/paper-tasks.ts grid [--name N] [--steps 25000] [--preset small]
 *       [--seeds 3] [--eval-every 2500] [--eval-episodes 5] [--out DIR] > grid.json
 *   rfm sweep grid.json --workers 2
 *   npx tsx bench/learning/paper-tasks.ts publish SWEEP_DIR --to docs/benchmarks/NAME
 *       [--command "how the sweep was run"] [--started ISO] [--commit SHA]
 *
 * The grid: RFM and SAC on all eight tasks, and the other baselines of the paper's comparison
 * (qsm, dqs, maxentdp, qvpo) on cartpole-swingup, cheetah-run, walker-walk and finger-spin, every
 * run with the same preset, steps and evaluation schedule (no per-algorithm tuning: each
 * algorithm's reference defaults at that preset). Runs are listed seed-major with QVPO last (it
 * costs about 20 times a SAC update), so a sweep stopped early still covers every task.
 *
 * The paper's own budget (250k steps, 256-wide networks, 32 particles, 25 evaluation episodes
 * every 10k steps, 5 seeds; about a day of 2 CPU cores per RFM run):
 *
 *   npx tsx bench/learning/paper-tasks.ts grid --name dmc-paper --preset paper --steps 250000 \
 *       --seeds 5 --eval-every 10000 --eval-episodes 25 > dmc-paper.json
 *
 * `publish` writes: README.md (the table of final evaluation returns, IQM and 95% bootstrap
 * interval per task and algorithm, with the command, machine, commit and dates), report.json
 * (`rfm sweep report`'s groups), curves.png and curves-baselines.png (IQM across seeds with a 95%
 * bootstrap band), runs.json (every run's evaluation curve, final return, wall time and the
 * config fields that tell it apart) and grid.json (the sweep's grid, to rerun it).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { sweepReport, reportJson, type ReportRow } from '../../src/sweep/report.ts';
import { findRuns, metricSeries, readMetrics } from '../../src/viz/runs.ts';
import { curveGroups, learningCurvesSvg, svgToPng } from '../../src/viz/plot.ts';
import { getBackend } from '../../src/engine/index.ts';

/** The paper's eight DMC tasks, in the paper's order. */
export const PAPER_TASKS = [
  'cheetah-run',
  'cartpole-swingup',
  'fish-swim',
  'fish-upright',
  'walker-walk',
  'walker-run',
  'finger-spin',
  'finger-turn_hard',
] as const;
/** The tasks on which the other baselines run (issue 15: at least these four). */
export const BASELINE_TASKS = ['cartpole-swingup', 'cheetah-run', 'walker-walk', 'finger-spin'];
/** Algorithms on every task, then the baselines on BASELINE_TASKS (QVPO last: the dearest). */
export const MAIN_ALGOS = ['rfm', 'sac'];
export const BASELINE_ALGOS = ['qsm', 'dqs', 'maxentdp', 'qvpo'];

interface GridOptions {
  name: string;
  steps: number;
  preset: string;
  seeds: number;
  evalEvery: number;
  evalEpisodes: number;
  out?: string;
}

/** The sweep grid (JSON for `rfm sweep`), every run listed explicitly in the order they should run. */
export function paperTasksGrid(o: GridOptions): Record<string, unknown> {
  const set = {
    'train.steps': o.steps,
    'train.evalEvery': o.evalEvery,
    'train.evalEpisodes': o.evalEpisodes,
    'train.checkpointEvery': Math.max(o.evalEvery, Math.round(o.steps / 5)),
    'train.logEvery': Math.min(500, o.evalEvery),
  };
  const runs: Record<string, unknown>[] = [];
  const add = (algo: string, env: string, seed: number) =>
    runs.push({ algo, env, seed, preset: o.preset, set });
  const seeds = Array.from({ length: o.seeds }, (_, i) => i);
  for (const seed of seeds)
    for (const env of PAPER_TASKS) for (const algo of MAIN_ALGOS) add(algo, env, seed);
  const cheap = BASELINE_ALGOS.filter((a) => a !== 'qvpo');
  for (const seed of seeds)
    for (const env of BASELINE_TASKS) for (const algo of cheap) add(algo, env, seed);
  for (const seed of seeds) for (const env of BASELINE_TASKS) add('qvpo', env, seed);
  return { name: o.name, ...(o.out ? { out: o.out } : {}), runs };
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');

/** Task x algorithm table of IQM [95% interval] (n runs), tasks in the paper's order. */
export function summaryTable(rows: readonly ReportRow[], algos: readonly string[]): string {
  const lines = [`| task | ${algos.join(' | ')} |`, `|---|${algos.map(() => '---').join('|')}|`];
  for (const env of PAPER_TASKS) {
    const cells = algos.map((a) => {
      const r = rows.find((x) => x.env === env && x.algo === a);
      if (!r || r.finalReturns.length === 0) return '-';
      const partial = r.finished < r.runs ? `, ${r.finished} of ${r.runs} finished` : '';
      return `${fmt(r.iqm)} [${fmt(r.low)}, ${fmt(r.high)}] (n=${r.finalReturns.length}${partial})`;
    });
    lines.push(`| ${env} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function readJsonFile(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function cpuFlags(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? '').split(/\s+/));
    return ['avx512f', 'avx2', 'fma', 'neon', 'asimd'].filter((f) => flags.has(f)).join(', ');
  } catch {
    return 'unknown';
  }
}

interface PublishOptions {
  to: string;
  command?: string;
  started?: string;
  commit?: string;
}

/** Writes the docs folder of a finished (or partly finished) sweep. Returns the README text. */
export function publish(sweepDir: string, o: PublishOptions): string {
  const dir = resolve(sweepDir);
  mkdirSync(o.to, { recursive: true });
  const report = sweepReport(dir);
  writeFileSync(join(o.to, 'report.json'), reportJson(report));
  const metas = findRuns(dir, 1).filter((r) => r.id !== '.');
  const runs = metas.map((m) => {
    const rows = readMetrics(m.dir);
    const done = readJsonFile(join(m.dir, 'done.json'));
    const label = (readJsonFile(join(m.dir, 'sweep-run.json'))?.label ?? null) as Record<
      string,
      unknown
    > | null;
    const curve = metricSeries(rows, 'eval/return');
    return {
      id: m.id,
      algo: m.algo,
      env: m.env,
      seed: m.seed,
      label,
      finished: done !== null,
      seconds: (done?.seconds as number | undefined) ?? null,
      finalReturn: curve.length ? curve[curve.length - 1][1] : null,
      evalReturn: curve.map(([step, value]) => ({ step, value })),
      rows,
    };
  });
  const algosPresent = [...MAIN_ALGOS, ...BASELINE_ALGOS].filter((a) =>
    runs.some((r) => r.algo === a),
  );
  writeFileSync(
    join(o.to, 'runs.json'),
    JSON.stringify(
      runs.map(({ rows: _rows, ...r }) => r),
      null,
      1,
    ) + '\n',
  );
  const withRows = metas.map((m, i) => ({ ...m, rows: runs[i].rows }));
  const main = curveGroups(
    withRows.filter((r) => MAIN_ALGOS.includes(r.algo)),
    'eval/return',
  );
  const order = (g: { env: string }) => PAPER_TASKS.indexOf(g.env as (typeof PAPER_TASKS)[number]);
  main.sort((a, b) => order(a) - order(b));
  if (main.length)
    writeFileSync(join(o.to, 'curves.png'), svgToPng(learningCurvesSvg(main, { cols: 4 })));
  const base = curveGroups(
    withRows.filter((r) => BASELINE_TASKS.includes(r.env)),
    'eval/return',
  );
  base.sort((a, b) => order(a) - order(b));
  if (base.length)
    writeFileSync(
      join(o.to, 'curves-baselines.png'),
      svgToPng(learningCurvesSvg(base, { cols: 2 })),
    );
  const gridFile = join(dir, 'sweep.json');
  if (existsSync(gridFile)) copyFileSync(gridFile, join(o.to, 'sweep.json'));
  const seconds = runs.map((r) => r.seconds).filter((s): s is number => s !== null);
  const perAlgo = algosPresent
    .map((a) => {
      const s = runs.filter((r) => r.algo === a && r.seconds !== null).map((r) => r.seconds!);
      return s.length ? `${a} ${(s.reduce((x, y) => x + y, 0) / s.length).toFixed(0)} s` : null;
    })
    .filter(Boolean)
    .join(', ');
  const label = runs[0]?.label as { preset?: string; set?: Record<string, unknown> } | undefined;
  const be = getBackend() as { name: string; isa?: string };
  const text = [
    `# Learning results on the paper's DeepMind Control tasks (${report.rows[0] ? (label?.preset ?? '') : ''} preset, ${String(label?.set?.['train.steps'] ?? '?')} steps)`,
    '',
    `Final evaluation return (mean over ${String(label?.set?.['train.evalEpisodes'] ?? '?')} deterministic episodes at the last step) per run;`,
    'per task and algorithm the interquartile mean (IQM) across seeds with a 95% percentile-bootstrap',
    `interval (${report.resamples} resamples, seed ${report.seed}) and the number of runs. Every algorithm has the`,
    'same budget and its reference defaults at this preset; nothing was tuned per algorithm or task.',
    '',
    summaryTable(report.rows, algosPresent),
    '',
    '![RFM and SAC on the eight tasks](curves.png)',
    '',
    '![All algorithms on the four baseline tasks](curves-baselines.png)',
    '',
    '## How it was run',
    '',
    ...(o.command ? ['```', o.command, '```', ''] : []),
    `- Commit: ${o.commit ?? 'unknown'}; started ${o.started ?? 'unknown'}; ${runs.filter((r) => r.finished).length} of ${runs.length} runs finished.`,
    `- Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores (flags: ${cpuFlags()}); Node ${process.version}; native backend, tier ${be.isa ?? be.name}; one thread per run, two runs at a time, the machine shared with other work.`,
    `- Wall time per run (mean): ${perAlgo}; all runs together ${(seconds.reduce((x, y) => x + y, 0) / 60).toFixed(0)} minutes of one core.`,
    '- Files: `runs.json` (every run: evaluation curve, final return, wall time, settings), `report.json` (the groups of `rfm sweep report`), `sweep.json` (the grid), the PNG curves (IQM across seeds, 95% bootstrap band).',
    '',
  ].join('\n');
  writeFileSync(join(o.to, 'README.md'), text);
  return text;
}

function main(argv: string[]): void {
  const [cmd, ...rest] = argv;
  const opt = (name: string): string | undefined => {
    const i = rest.indexOf(`--${name}`);
    if (i < 0) return undefined;
    if (i + 1 >= rest.length) throw new Error(`--${name} needs a value`);
    return rest[i + 1];
  };
  const int = (name: string, dflt: number): number => {
    const v = opt(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`--${name} must be a positive integer, got '${v}'`);
    return n;
  };
  if (cmd === 'grid') {
    const g = paperTasksGrid({
      name: opt('name') ?? 'dmc-paper-tasks',
      steps: int('steps', 25_000),
      preset: opt('preset') ?? 'small',
      seeds: int('seeds', 3),
      evalEvery: int('eval-every', 2_500),
      evalEpisodes: int('eval-episodes', 5),
      out: opt('out'),
    });
    process.stdout.write(JSON.stringify(g, null, 1) + '\n');
  } else if (cmd === 'publish') {
    const sweep = rest[0];
    const to = opt('to');
    if (!sweep || sweep.startsWith('--') || !to)
      throw new Error(
        'usage: paper-tasks.ts publish SWEEP_DIR --to DOCS_DIR [--command C] [--started ISO] [--commit SHA]',
      );
    process.stdout.write(
      publish(sweep, {
        to,
        command: opt('command'),
        started: opt('started'),
        commit: opt('commit'),
      }),
    );
  } else {
    throw new Error(
      'usage: paper-tasks.ts grid [options] | publish SWEEP_DIR --to DIR (see the comment at the top)',
    );
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`paper-tasks: ${(e as Error).message}`);
    process.exit(2);
  }
}
