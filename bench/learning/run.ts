/**
 * Learning benchmark (spec/BENCHMARKS.md section 5): final evaluation returns of several
 * algorithms x environments x seeds at fixed environment-step budgets, reported as mean ± standard
 * error and interquartile mean (IQM, the 25%-trimmed mean of rliable) over seeds.
 *
 *   npx tsx bench/learning/run.ts [--algos rfm,sac] [--envs ID,...] [--seeds 5] [--budget cpu|smoke]
 *                                 [--preset small|lite|paper] [--steps N] [--out bench/results]
 *
 * --algos takes any registered algorithm: rfm, rfm-diffusion, sac, td3, and the reference code's
 * diffusion baselines dqs, qsm, qvpo, maxentdp (README: Algorithms); --envs any environment id,
 * e.g. the paper's DMC tasks cheetah-run, cartpole-swingup, fish-swim, fish-upright, walker-walk,
 * walker-run, finger-spin, finger-turn_hard (those not in the table below get 50k steps).
 * Per-update cost differs a lot between them: small preset, obs 17 / action 6, native backend
 * (AVX-512), 10 updates each, side by side in one process on a shared 2-core machine, relative to
 * SAC's (about 5 ms): qsm 0.8x, rfm 1.4x, dqs 1.9x, maxentdp 3.6x (the ELBO log-probability of
 * the TD target), qvpo 22x (8 own samples x 5 steps per state through Mish networks).
 *
 * Budgets ('cpu', the default; one run per line, sequentially, in this process):
 *
 *   | env                 | steps   | random steps | eval every | networks (preset) |
 *   |---------------------|---------|--------------|------------|-------------------|
 *   | Pendulum-v1         | 10,000  | 1,000        | 1,000      | small             |
 *   | InvertedPendulum-v5 | 20,000  | 2,000        | 2,000      | small             |
 *   | cartpole-swingup    | 50,000  | 5,000        | 5,000      | small             |
 *   | cheetah-run         | 100,000 | 5,000        | 10,000     | small             |
 *
 * Sized for a few CPU cores: with the native backend SAC (small) runs ~250 steps/s, so the whole
 * 'cpu' grid with 5 seeds and two algorithms is on the order of a day of CPU time; RFM costs
 * several times SAC per update (P particles, M reverse samples). 'smoke' shrinks every run to 300
 * steps with 200-step episodes, to check the pipeline end to end in a minute or two.
 *
 * Output (bench/results/ is git-ignored): learning-<time>.json (config of the benchmark, every
 * run's evaluation curve and final return, per-cell summaries) and learning-<time>.md (the table).
 * Each run's folder (metrics.jsonl etc.) goes under bench/results/runs/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableAgents } from '../../src/agents/index.ts';
import { resolveConfig, type Algo } from '../../src/config/index.ts';
import { getBackend } from '../../src/engine/index.ts';
import { train } from '../../src/train/index.ts';

interface Budget {
  steps: number;
  randomSteps: number;
  evalEvery: number;
}

const CPU_BUDGETS: Record<string, Budget> = {
  'Pendulum-v1': { steps: 10_000, randomSteps: 1_000, evalEvery: 1_000 },
  'InvertedPendulum-v5': { steps: 20_000, randomSteps: 2_000, evalEvery: 2_000 },
  'cartpole-swingup': { steps: 50_000, randomSteps: 5_000, evalEvery: 5_000 },
  'cheetah-run': { steps: 100_000, randomSteps: 5_000, evalEvery: 10_000 },
};

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** Mean, standard error of the mean, and interquartile mean (drop floor(n/4) from each end). */
export function summarize(xs: number[]): { n: number; mean: number; se: number; iqm: number } {
  const n = xs.length;
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : 0;
  const sorted = [...xs].sort((a, b) => a - b);
  const cut = Math.floor(n / 4);
  const mid = sorted.slice(cut, n - cut);
  return { n, mean, se: sd / Math.sqrt(n), iqm: mid.reduce((s, x) => s + x, 0) / mid.length };
}

async function main(): Promise<void> {
  const algos = arg('algos', 'rfm,sac').split(',') as Algo[];
  const envs = arg('envs', Object.keys(CPU_BUDGETS).join(',')).split(',');
  const seeds = Number(arg('seeds', '5'));
  const budgetName = arg('budget', 'cpu');
  const preset = arg('preset', 'small');
  const stepsOverride = process.argv.includes('--steps') ? Number(arg('steps', '0')) : null;
  const outDir = resolve(arg('out', 'bench/results'));
  if (budgetName !== 'cpu' && budgetName !== 'smoke')
    throw new Error(`--budget must be cpu or smoke, got '${budgetName}'`);
  for (const a of algos)
    if (!availableAgents().includes(a))
      throw new Error(
        `algorithm '${a}' is not available (available: ${availableAgents().join(', ')})`,
      );
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const runsDir = join(outDir, 'runs', `learning-${stamp}`);
  mkdirSync(runsDir, { recursive: true });

  const runs: {
    algo: string;
    env: string;
    seed: number;
    final: number;
    curve: [number, number][];
    seconds: number;
  }[] = [];
  for (const env of envs) {
    const b = CPU_BUDGETS[env] ?? { steps: 50_000, randomSteps: 5_000, evalEvery: 5_000 };
    const sets =
      budgetName === 'smoke'
        ? [
            'train.steps=300',
            'train.randomSteps=100',
            'train.evalEvery=150',
            'train.evalEpisodes=2',
            'train.maxEpisodeSteps=200',
            'train.logEvery=100',
            'train.checkpointEvery=0',
          ]
        : [
            `train.steps=${stepsOverride ?? b.steps}`,
            `train.randomSteps=${b.randomSteps}`,
            `train.evalEvery=${b.evalEvery}`,
            'train.evalEpisodes=10',
            'train.checkpointEvery=0',
          ];
    for (const algo of algos) {
      for (let seed = 0; seed < seeds; seed++) {
        const config = resolveConfig({ algo, envId: env, preset, sets });
        const t0 = performance.now();
        const r = await train(env, config, {
          algo,
          seed,
          outDir: runsDir,
          runName: `${algo}-${env}-s${seed}`,
        });
        const curve = r.rows
          .filter((x) => 'eval/return' in x)
          .map((x) => [x.step, x['eval/return']] as [number, number]);
        const seconds = (performance.now() - t0) / 1000;
        const final = curve[curve.length - 1][1];
        runs.push({ algo, env, seed, final, curve, seconds });
        console.log(
          `${algo} ${env} seed ${seed}: final eval ${final.toFixed(1)} (${config.train.steps} steps, ${seconds.toFixed(1)} s)`,
        );
      }
    }
  }

  const cells = envs.flatMap((env) =>
    algos.map((algo) => ({
      env,
      algo,
      ...summarize(runs.filter((r) => r.env === env && r.algo === algo).map((r) => r.final)),
    })),
  );
  const meta = {
    budget: budgetName,
    preset,
    seeds,
    algos,
    envs,
    backend: getBackend().name,
    created: new Date().toISOString(),
    budgets: CPU_BUDGETS,
  };
  writeFileSync(
    join(outDir, `learning-${stamp}.json`),
    JSON.stringify({ meta, cells, runs }, null, 1) + '\n',
  );
  const md = [
    `# Learning benchmark (${budgetName} budget, preset ${preset}, ${seeds} seeds, backend ${meta.backend})`,
    '',
    '| env | algo | final eval return (mean ± s.e.) | IQM | seeds |',
    '|---|---|---|---|---|',
    ...cells.map(
      (c) =>
        `| ${c.env} | ${c.algo} | ${c.mean.toFixed(1)} ± ${c.se.toFixed(1)} | ${c.iqm.toFixed(1)} | ${c.n} |`,
    ),
    '',
  ].join('\n');
  writeFileSync(join(outDir, `learning-${stamp}.md`), md);
  console.log(`\n${md}\nwrote ${join(outDir, `learning-${stamp}.json`)} and .md`);
}

if (
  import.meta.url === `file://${process.argv[1]}` ||
  process.argv[1]?.endsWith('bench/learning/run.ts')
) {
  main().catch((e) => {
    console.error((e as Error).message);
    process.exit(1);
  });
}
