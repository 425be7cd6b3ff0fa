/**
 * 2-D point sets for the dashboard's scatter view: samples of a flow sampler (`rfm sample-energy`),
 * a policy's actions on the toy bandit (MultimodalBandit-v0), exact reference samples.
 *
 * File format (`*.samples.json` in a run folder, one JSON object):
 *   {
 *     "format": "rfm-samples", "version": 1,
 *     "title": "ring8, NE",                       optional
 *     "xLabel": "x0", "yLabel": "x1",             optional axis titles
 *     "range": [[-4, 4], [-4, 4]],                optional axis ranges
 *     "sets": [ { "name": "flow", "color": "#d62728", "points": [x0, y0, x1, y1, ...] }, ... ]
 *   }
 * Points are flat [x, y] pairs; `color` is optional.
 */
import { readTextFile, writeTextFile } from '../host/node/fs.ts';
import type { Agent } from '../agents/types.ts';
import type { Env } from '../envs/core.ts';
import { optimalActions } from '../envs/toy/multimodal-bandit.ts';

export interface SampleSet {
  name: string;
  color?: string;
  /** Flat [x, y] pairs. */
  points: ArrayLike<number>;
}

export interface SamplesFile {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  range?: [[number, number], [number, number]];
  sets: SampleSet[];
}

/** Rounds to 5 significant digits to keep files small. */
function r5(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(5)) : 0;
}

export function serializeSamples(s: SamplesFile): string {
  return JSON.stringify({
    format: 'rfm-samples',
    version: 1,
    ...(s.title !== undefined ? { title: s.title } : {}),
    ...(s.xLabel !== undefined ? { xLabel: s.xLabel } : {}),
    ...(s.yLabel !== undefined ? { yLabel: s.yLabel } : {}),
    ...(s.range ? { range: s.range } : {}),
    sets: s.sets.map((set) => {
      if (set.points.length % 2 !== 0)
        throw new Error(`sample set '${set.name}': points must be [x, y] pairs`);
      return {
        name: set.name,
        ...(set.color ? { color: set.color } : {}),
        points: Array.from(set.points, r5),
      };
    }),
  });
}

export function parseSamples(text: string): SamplesFile {
  const j = JSON.parse(text) as Record<string, unknown>;
  if (j.format !== 'rfm-samples') throw new Error('not an rfm-samples file');
  if (!Array.isArray(j.sets)) throw new Error('rfm-samples: sets must be a list');
  return j as unknown as SamplesFile;
}

export function writeSamples(file: string, s: SamplesFile): void {
  writeTextFile(file, serializeSamples(s));
}

export function readSamples(file: string): SamplesFile {
  return parseSamples(readTextFile(file));
}

/** `n` stochastic actions of an agent (in [-1, 1]) for one observation, as flat pairs of the first two action dimensions. */
export function agentActionSamples(agent: Agent, obs: ArrayLike<number>, n: number): Float32Array {
  const batch = new Float32Array(n * agent.obsDim);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < agent.obsDim; k++) batch[i * agent.obsDim + k] = obs[k];
  const a = agent.act(batch, { deterministic: false });
  const d = agent.actDim;
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = a[i * d];
    out[2 * i + 1] = d > 1 ? a[i * d + 1] : 0;
  }
  return out;
}

/**
 * A samples file of a policy's action distribution at the first observation of an episode: `n`
 * stochastic actions (first two dimensions, in the agent's [-1, 1] units), and for
 * MultimodalBandit-v0 its optimal actions (the modes) as a reference set.
 */
export function policySamples(
  agent: Agent,
  env: Env,
  o: { n?: number; seed?: number; envId?: string } = {},
): SamplesFile {
  const [obs] = env.reset({ seed: o.seed ?? 0 });
  const n = o.n ?? 1000;
  const id = o.envId ?? env.id;
  const sets: SampleSet[] = [
    { name: `${agent.algo} actions`, color: '#d62728', points: agentActionSamples(agent, obs, n) },
  ];
  if (id.startsWith('MultimodalBandit') && agent.actDim === 2) {
    sets.unshift({
      name: 'optimal actions',
      color: '#2ca02c',
      points: optimalActions().flatMap((m) => [m[0], m[1]]),
    });
  }
  return {
    title: `${id}: ${agent.algo} action distribution`,
    xLabel: 'action[0]',
    yLabel: agent.actDim > 1 ? 'action[1]' : '(0)',
    range: [
      [-1.05, 1.05],
      [-1.05, 1.05],
    ],
    sets,
  };
}
