/**
 * Recording a MuJoCo rollout for replay (the dashboard's 3-D viewer, `rfm eval --record FILE`).
 *
 * File format (`*.rollout.json`, one JSON object):
 *   {
 *     "format": "rfm-rollout", "version": 1,
 *     "env": "Hopper-v5",            registered environment id
 *     "model": "Hopper",             the compiled model's name
 *     "xml": "<mujoco ...>",         the MJCF text, so a recording replays on its own
 *     "nq": 6, "dt": 0.008,          qpos size; simulated seconds per env step
 *     "steps": 1000, "frames": 1001, env steps; qpos frames (the reset state, then one per step)
 *     "return": 1234.5,              sum of the rewards
 *     "qpos":    "<base64>",         little-endian Float32, frames x nq, row-major
 *     "rewards": "<base64>"          little-endian Float32, one per step
 *   }
 * Float32 keeps a 1000-step Hopper rollout under 40 kB and is exact enough to draw.
 */
import { readTextFile, writeTextFile } from '../host/node/fs.ts';
import type { Env } from '../envs/core.ts';
import { unwrap } from '../envs/wrappers.ts';
import { MujocoEnv } from '../envs/mujoco/mujoco-env.ts';
import { GYM_MODEL_XML } from '../envs/gym-mujoco/models/index.ts';
import { dmcTasks } from '../envs/dmc/index.ts';
import type { Agent } from '../agents/types.ts';

export interface Rollout {
  env: string;
  model: string;
  xml: string;
  nq: number;
  dt: number;
  steps: number;
  /** frames x nq, row-major (frame 0: after reset). */
  qpos: Float32Array;
  /** One reward per step. */
  rewards: Float32Array;
}

export interface RecordOptions {
  /** Seed of the episode's reset (default 0). */
  seed?: number;
  /** Stop after this many steps even if the episode goes on (default: until terminated or truncated, at most 10000). */
  maxSteps?: number;
  /** The model's MJCF text, when it is not one of the library's Gymnasium or DMC models. */
  xml?: string;
  /** Environment id written to the file (default: the env's own id). */
  envId?: string;
}

/** A policy in the environment's action units, or an Agent (actions in [-1, 1], rescaled to the env's bounds; deterministic mode). */
export type Actor = Agent | ((obs: Float64Array) => ArrayLike<number>);

/** The MJCF text of a library model by its compiled name (Gymnasium names such as 'Hopper', DMC names such as 'dmc-walker'). */
export function modelXml(name: string): string | undefined {
  return GYM_MODEL_XML[name] ?? dmcTasks.find((t) => t.modelName === name)?.xml;
}

function actionFn(env: Env, actor: Actor): (obs: Float64Array) => ArrayLike<number> {
  if (typeof actor === 'function') return actor;
  const { low, high } = env.actionSpace;
  return (obs) => {
    const a = actor.act(Float32Array.from(obs), { deterministic: true });
    const out = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) {
      const lo = low[i],
        hi = high[i];
      out[i] =
        Number.isFinite(lo) && Number.isFinite(hi) ? lo + ((a[i] + 1) / 2) * (hi - lo) : a[i];
    }
    return out;
  };
}

/**
 * Runs one episode of `env` (possibly wrapped; the innermost env must be a MuJoCo env) with `actor`,
 * recording qpos after the reset and after every step, and the rewards.
 */
export function recordRollout(env: Env, actor: Actor, opts: RecordOptions = {}): Rollout {
  const inner = unwrap(env);
  if (!(inner instanceof MujocoEnv))
    throw new Error(`${env.id}: recording needs a MuJoCo environment (Gymnasium MuJoCo or DMC)`);
  const name = inner.model.name;
  const xml = opts.xml ?? modelXml(name);
  if (!xml) throw new Error(`${env.id}: no MJCF text known for model '${name}'; pass opts.xml`);
  const nq = inner.model.nq;
  const limit = opts.maxSteps ?? 10000;
  const act = actionFn(env, actor);
  const frames: Float64Array[] = [];
  const rewards: number[] = [];
  let [obs] = env.reset({ seed: opts.seed ?? 0 });
  frames.push(inner.data.copy('qpos'));
  for (let t = 0; t < limit; t++) {
    const [next, r, terminated, truncated] = env.step(act(obs));
    frames.push(inner.data.copy('qpos'));
    rewards.push(r);
    obs = next;
    if (terminated || truncated) break;
  }
  const qpos = new Float32Array(frames.length * nq);
  frames.forEach((f, i) => qpos.set(f, i * nq));
  return {
    env: opts.envId ?? env.id,
    model: name,
    xml,
    nq,
    dt: inner.dt,
    steps: rewards.length,
    qpos,
    rewards: Float32Array.from(rewards),
  };
}

function toBase64(a: Float32Array): string {
  const le = new Float32Array(a); // typed arrays are little-endian on every platform this runs on
  const bytes = new Uint8Array(le.buffer, le.byteOffset, le.byteLength);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin); // btoa / atob: globals in browsers and in Node (no Buffer, so this runs in a page)
}

function fromBase64(s: string): Float32Array {
  const bin = atob(s);
  const copy = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) copy[i] = bin.charCodeAt(i);
  return new Float32Array(copy.buffer, 0, Math.floor(bin.length / 4));
}

/** The rollout as the JSON text of a `.rollout.json` file. */
export function serializeRollout(r: Rollout): string {
  let ret = 0;
  for (const x of r.rewards) ret += x;
  return JSON.stringify({
    format: 'rfm-rollout',
    version: 1,
    env: r.env,
    model: r.model,
    xml: r.xml,
    nq: r.nq,
    dt: r.dt,
    steps: r.steps,
    frames: r.qpos.length / r.nq,
    return: ret,
    qpos: toBase64(r.qpos),
    rewards: toBase64(r.rewards),
  });
}

/** Parses a `.rollout.json` text; throws on a wrong format or inconsistent sizes. */
export function parseRollout(text: string): Rollout {
  const j = JSON.parse(text) as Record<string, unknown>;
  if (j.format !== 'rfm-rollout') throw new Error('not an rfm-rollout file');
  if (j.version !== 1) throw new Error(`rfm-rollout version ${String(j.version)} is not supported`);
  const nq = Number(j.nq);
  const qpos = fromBase64(String(j.qpos));
  const rewards = fromBase64(String(j.rewards));
  const steps = Number(j.steps);
  if (!(nq > 0) || qpos.length !== (steps + 1) * nq || rewards.length !== steps)
    throw new Error('rfm-rollout: sizes do not match (nq, steps, qpos, rewards)');
  return {
    env: String(j.env),
    model: String(j.model),
    xml: String(j.xml),
    nq,
    dt: Number(j.dt),
    steps,
    qpos,
    rewards,
  };
}

export function writeRollout(file: string, r: Rollout): void {
  writeTextFile(file, serializeRollout(r));
}

export function readRollout(file: string): Rollout {
  return parseRollout(readTextFile(file));
}
