/**
 * `rfm sample-energy --energy ring8|rings|double-well --estimator ne|ge|cv [--steps N] [--seed S]
 *  [--out DIR] [--json]`: trains a flow sampler on exp(-E(x)) with no samples (src/estimators/
 * boltzmann.ts), then reports the energy distance between its samples and exact ones and draws both.
 */
import { writeFileSync } from 'node:fs';
import { makeDirs } from '../../train/files.ts';
import { checkOutputDir } from '../errors.ts';
import { join } from 'node:path';
import type { Command } from '../main.ts';
import { UsageError, optFlag, optNumber, optString, parseArgs } from '../args.ts';
import {
  BOLTZMANN_DEFAULTS,
  trainBoltzmann,
  type EstimatorChoice,
} from '../../estimators/boltzmann.ts';
import { ENERGY_NAMES, getEnergy } from '../../estimators/energies.ts';
import { scatterChart } from '../../viz/svg.ts';
import { writeSamples } from '../../viz/samples.ts';
import { getBackend } from '../../engine/index.ts';

const DEFAULT_STEPS = 1000;
const B = BOLTZMANN_DEFAULTS;
const USAGE = `usage: rfm sample-energy --energy ${ENERGY_NAMES.join('|')} --estimator ne|ge|cv [--steps N] [--seed S] [--k K] [--t-min T] [--batch N] [--out DIR] [--json]

Trains an unconditional flow (VelocityNet: hidden ${B.hidden}, ${B.residualBlocks} residual blocks, embedding ${B.embedding}) to sample
exp(-E(x)) by Reverse Flow Matching, without samples of the target: endpoints from the current flow
(${B.sampleSteps} Euler steps), t ~ U[${B.tMin}, ${1 - B.tMin}], posterior mean from K = ${B.K} reverse proposals with the chosen
estimator, MSE to the velocity target, Adam lr ${B.lr}, batch ${B.batch}.

Reports the squared energy distance between ${B.evalSamples} generated samples (${B.evalSteps} Euler steps) and as many exact
samples (also for the untrained flow), and writes a scatter plot of both.

  --steps N   training iterations (default ${DEFAULT_STEPS}: about 1 minute with the native backend on this
              2-core machine; several times longer with the TypeScript backend)
  --seed S    seed (default 0)
  --k K       reverse samples per row (default ${B.K})
  --t-min T   t ~ U[T, 1 - T], also the integration interval (default ${B.tMin})
  --batch N   rows per iteration (default ${B.batch})
  --out DIR   output folder (default runs/sample-energy/)
  --json      print {"energy", "estimator", "steps", "energyDistance", "seconds", ...} as the last line

Energies (src/estimators/energies.ts):
  ring8        8 Gaussians (std 0.5) on a circle of radius 4
  rings        rings of radii 2 and 4, Gaussian radial profile std 0.3
  double-well  E = (x0^2 - 4)^2 / 4 + x0 / 4 + x1^2 / 2`;

export const command: Command = {
  async run(args) {
    const p = parseArgs(
      args,
      ['energy', 'estimator', 'steps', 'seed', 'out', 'k', 't-min', 'batch'],
      ['json', 'help'],
    );
    if (optFlag(p, 'help')) {
      console.log(USAGE);
      return 0;
    }
    if (p.positionals.length)
      throw new UsageError(`unexpected arguments '${p.positionals.join(' ')}'`);
    const energyName = optString(p, 'energy');
    const estimator = optString(p, 'estimator');
    if (!energyName || !(ENERGY_NAMES as readonly string[]).includes(energyName))
      throw new UsageError(`--energy must be one of ${ENERGY_NAMES.join(', ')}`);
    if (!estimator || !['ne', 'ge', 'cv'].includes(estimator))
      throw new UsageError('--estimator must be one of ne, ge, cv');
    const steps = optNumber(p, 'steps', DEFAULT_STEPS);
    const seed = optNumber(p, 'seed', 0);
    if (!(Number.isInteger(steps) && steps >= 1))
      throw new UsageError('--steps must be a positive integer');
    if (!(Number.isSafeInteger(seed) && seed >= 0))
      throw new UsageError('--seed must be a non-negative integer');
    const K = optNumber(p, 'k', B.K);
    const tMin = optNumber(p, 't-min', B.tMin);
    const batch = optNumber(p, 'batch', B.batch);
    if (!(Number.isInteger(K) && K >= 2)) throw new UsageError('--k must be an integer >= 2');
    if (!(Number.isInteger(batch) && batch >= 1))
      throw new UsageError('--batch must be a positive integer');
    if (!(tMin > 0 && tMin < 0.5)) throw new UsageError('--t-min must lie in (0, 0.5)');
    const out = optString(p, 'out') ?? 'runs/sample-energy';
    checkOutputDir(out, 'out');
    const json = optFlag(p, 'json');
    const energy = getEnergy(energyName);
    const logEvery = Math.max(1, Math.round(steps / 10));
    const r = trainBoltzmann({
      energy,
      estimator: estimator as EstimatorChoice,
      steps,
      seed,
      logEvery,
      K,
      tMin,
      batch,
      onLog: json
        ? undefined
        : (l) =>
            console.log(
              `step ${String(l.step).padStart(6)}  loss ${l.loss.toExponential(3)}  ESS ${l.ess.toFixed(1)}  mean c ${l.meanC.toExponential(2)}  |grad| ${l.gradNorm.toFixed(2)}  ${l.seconds.toFixed(1)} s`,
            ),
    });
    makeDirs(out);
    const pts = (a: Float64Array) =>
      Array.from({ length: a.length / 2 }, (_, i) => [a[2 * i], a[2 * i + 1]] as [number, number]);
    const L = energy.extent;
    const svg = scatterChart(
      [
        { name: `exact (${r.exact.length / 2})`, points: pts(r.exact), color: '#7f7f7f' },
        {
          name: `flow, ${estimator.toUpperCase()} (${r.generated.length / 2})`,
          points: pts(r.generated),
          color: '#d62728',
        },
      ],
      {
        title: `${energyName}, ${estimator.toUpperCase()}, ${steps} steps: energy distance ${r.energyDistance.toFixed(4)}`,
        xLabel: 'x0 (target units)',
        yLabel: 'x1 (target units)',
        xRange: [-L, L],
        yRange: [-L, L],
        equalAspect: true,
      },
    );
    const file = join(out, `${energyName}-${estimator}-seed${seed}.svg`);
    writeFileSync(file, svg);
    // the same points for the dashboard's scatter view (format: src/viz/samples.ts)
    writeSamples(join(out, `${energyName}-${estimator}-seed${seed}.samples.json`), {
      title: `${energyName}, ${estimator.toUpperCase()}, ${steps} steps`,
      xLabel: 'x0',
      yLabel: 'x1',
      range: [
        [-L, L],
        [-L, L],
      ],
      sets: [
        { name: 'exact', color: '#7f7f7f', points: r.exact },
        { name: `flow, ${estimator.toUpperCase()}`, color: '#d62728', points: r.generated },
      ],
    });
    const summary = {
      energy: energyName,
      estimator,
      steps,
      energyDistance: r.energyDistance,
      initialEnergyDistance: r.initialEnergyDistance,
      seconds: r.seconds,
      seed,
      K,
      tMin,
      batch,
      samples: r.generated.length / 2,
      finalLoss: r.logs[r.logs.length - 1]?.loss ?? null,
      backend: getBackend().name,
      plot: file,
    };
    if (!json)
      console.log(
        `\n${energyName} / ${estimator}: energy distance ${r.energyDistance.toFixed(4)} (untrained flow ${r.initialEnergyDistance.toFixed(4)}); ${r.seconds.toFixed(1)} s; plot ${file}`,
      );
    if (json) console.log(JSON.stringify(summary));
    return 0;
  },
};
