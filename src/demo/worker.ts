/**
 * The demo page's Web Worker: trains with the library's own loop (src/train/loop-core.ts) on the
 * TypeScript backend (or, when the page asks, the wasm one: ../engine/backend-wasm.ts), so the page stays responsive, and reports to the page (./protocol.ts):
 * progress and steps/s, metrics rows, and at every evaluation a checkpoint kept in memory, from
 * which the current policy plays an episode (a MuJoCo rollout for the 3-D view, or pendulum
 * angles) and, for RFM on a 1- or 2-D action task, its sampled action distribution.
 *
 * The same checkpoint, as a tar of a run folder, is what Download gives (`rfm eval` reads it once
 * unpacked); Load takes such an archive, or a CLI run's config.json and checkpoint pair, and plays it.
 */
import { createAgent, type Agent, type Metrics } from '../agents/index.ts';
import { configFromRunText, resolveConfig, type Algo, type Config } from '../config/index.ts';
import { registerWasmBackend, setBackend, tryBackend } from '../engine/index.ts';
import { unwrap } from '../envs/wrappers.ts';
import { MujocoEnv } from '../envs/mujoco/mujoco-env.ts';
import { PENDULUM, PendulumEnv } from '../envs/classic/pendulum.ts';
import type { RunningMeanStdState } from '../envs/wrappers.ts';
import {
  checkFiniteAgent,
  decodeCheckpointTensors,
  parseCheckpointMeta,
  withPrefix,
  type CheckpointInput,
  type CheckpointMeta,
} from '../train/checkpoint-format.ts';
import { buildEnv, evalEpisodeSeed, type EnvStack } from '../train/env.ts';
import {
  runTraining,
  type Interrupts,
  type ProgressSink,
  type RunInfo,
} from '../train/loop-core.ts';
import { MemoryRunStore } from '../train/memory-store.ts';
import type { NamedArray } from '../nn/safetensors.ts';
import { recordRollout, serializeRollout } from '../viz/rollout-record.ts';
import { agentActionSamples } from '../viz/samples.ts';
import { FIRST_UPDATES, WASM_KERNELS_FILE, type FromWorker, type ToWorker } from './protocol.ts';
import { readTar, writeTar, type TarEntry } from './tar.ts';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;
const post = (m: FromWorker, transfer: Transferable[] = []) => scope.postMessage(m, transfer);

setBackend('ts'); // until a start message asks for another

let wasmBytes: ArrayBuffer | null = null;
/** Makes `name` the engine's backend; 'wasm' fetches the kernels' module beside this script first. */
async function useBackend(name: 'ts' | 'wasm'): Promise<void> {
  if (name === 'wasm' && !wasmBytes) {
    const url = new URL(
      WASM_KERNELS_FILE,
      (globalThis as unknown as { location: { href: string } }).location.href,
    );
    const r = await fetch(url);
    if (!r.ok) throw new Error(`the wasm backend's module ${url.href}: HTTP ${r.status}`);
    const bytes = await r.arrayBuffer();
    wasmBytes = bytes;
    registerWasmBackend(() => bytes);
    if (!tryBackend('wasm')) throw new Error('the wasm backend did not load');
  }
  setBackend(name);
}

/** How many sampled actions the distribution view shows. */
const SAMPLES = 400;

/** A restored agent with what playing it needs. */
interface Restored {
  agent: Agent;
  config: Config;
  meta: CheckpointMeta;
  normalizer: RunningMeanStdState | null;
}

function restore(config: Config, meta: CheckpointMeta, tensors: Map<string, NamedArray>): Restored {
  const obsDim = tensors.get('loop.obs')?.shape[0];
  const actDim = tensors.get('replay.action')?.shape[1];
  if (!obsDim || !actDim) throw new Error('the checkpoint lacks loop.obs / replay.action shapes');
  const agent = createAgent(meta.algo, obsDim, actDim, config, meta.seed);
  agent.loadState({ tensors: withPrefix(tensors, 'agent'), json: meta.agent });
  const normalizer =
    (meta.loop.state as { normalizer?: RunningMeanStdState | null } | undefined)?.normalizer ??
    null;
  return { agent, config, meta, normalizer };
}

/** The evaluation environment of a restored run (observation statistics frozen in, as `rfm eval` does). */
async function evalStack(r: Restored): Promise<EnvStack> {
  const e = await buildEnv(r.meta.envId, r.config.train);
  if (e.normalizer && r.normalizer) {
    e.normalizer.loadState(r.normalizer);
    e.normalizer.update = false;
  }
  return e;
}

/** Plays evaluation episode 0 of the run (the episode `rfm eval` runs first) and posts it; returns its return. */
async function playEpisode(r: Restored, source: 'training' | 'loaded'): Promise<number> {
  const stack = await evalStack(r);
  const seed = evalEpisodeSeed(r.meta.seed, 0);
  try {
    const step = r.meta.step;
    if (unwrap(stack.env) instanceof MujocoEnv) {
      const rec = recordRollout(stack.env, r.agent, { seed, envId: r.meta.envId });
      const ret = rec.rewards.reduce((s, x) => s + x, 0);
      post({ type: 'episode', step, source, return: ret, rollout: serializeRollout(rec) });
      sampleActions(r, stack, seed);
      return ret;
    }
    // another task: the episode's return, and for Pendulum-v1 its angles (drawn by the page)
    let [obs] = stack.env.reset({ seed });
    const angles: number[] = [];
    const inner = unwrap(stack.env);
    const pendulum = inner instanceof PendulumEnv ? inner : null;
    let ret = 0;
    for (;;) {
      if (pendulum) angles.push(pendulum.state[0]);
      const [next, rew, terminated, truncated] = stack.env.step(
        r.agent.act(Float32Array.from(obs), { deterministic: true }),
      );
      ret += rew;
      obs = next;
      if (terminated || truncated) break;
    }
    post({
      type: 'episode',
      step,
      source,
      return: ret,
      ...(pendulum ? { angles, dt: PENDULUM.dt } : {}),
    });
    sampleActions(r, stack, seed);
    return ret;
  } finally {
    stack.env.close();
  }
}

/** For RFM on a 1- or 2-D action task: stochastic actions at the episode's first state. */
function sampleActions(r: Restored, stack: EnvStack, seed: number): void {
  if (r.meta.algo !== 'rfm' || r.agent.actDim > 2) return;
  const [obs] = stack.env.reset({ seed });
  const points = agentActionSamples(r.agent, obs, SAMPLES);
  post({ type: 'samples', step: r.meta.step, actDim: r.agent.actDim, points }, [points.buffer]);
}

// ------------------------------------------------------------------------------------------------
// Training

/** The running (or finished) session: its store holds the newest checkpoint. */
let session: { store: ViewingStore; info: RunInfo; config: Config } | null = null;
let training = false;
let paused = false;
let stopAsked = false;
let wake: (() => void) | null = null;

/** Keeps the newest checkpoint and plays the policy of each one (checkpoints come right after evaluations). */
class ViewingStore extends MemoryRunStore {
  lastEval: number | null = null;
  constructor(
    location: string,
    private readonly config: Config,
  ) {
    super(location);
  }
  override saveCheckpoint(meta: CheckpointInput, tensors: Map<string, NamedArray>): void {
    super.saveCheckpoint(meta, tensors);
    const last = this.metrics.rows[this.metrics.rows.length - 1];
    this.lastEval =
      last && last.step === meta.step && 'eval/return' in last
        ? last['eval/return']
        : this.lastEval;
    post({ type: 'checkpoint', step: meta.step, evalReturn: this.lastEval });
    const ck = this.newest!;
    void playEpisode(restore(this.config, ck.meta, tensors), 'training').catch((e: unknown) =>
      post({ type: 'error', message: `showing the policy: ${(e as Error).message}` }),
    );
  }
}

const interrupts: Interrupts = {
  begin() {},
  end() {},
  async yieldTurn() {
    await new Promise((r) => setTimeout(r, 0));
    while (paused && !stopAsked) await new Promise<void>((r) => (wake = r));
  },
  requested: () => stopAsked,
  stopped() {},
};

async function start(m: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  if (training) throw new Error('a run is in progress: stop it first');
  await useBackend(m.backend ?? 'ts');
  const algo: Algo = m.algo;
  // the CLI's configuration for the task and the small preset, with what the page sets on top;
  // a checkpoint (and so a view of the policy) after every evaluation
  const given = [
    ...(m.steps === undefined ? [] : [`train.steps=${m.steps}`]),
    ...(m.evalEvery === undefined ? [] : [`train.evalEvery=${m.evalEvery}`]),
    ...(m.sets ?? []),
  ];
  const every = resolveConfig({ algo, envId: m.envId, preset: 'small', sets: given }).train
    .evalEvery;
  const sets = [...given, `train.checkpointEvery=${every}`];
  const config = resolveConfig({ algo, envId: m.envId, preset: 'small', sets });
  const info: RunInfo = { algo, envId: m.envId, seed: m.seed, created: new Date().toISOString() };
  const store = new ViewingStore(`this page (${algo} ${m.envId} seed ${m.seed})`, config);
  session = { store, info, config };
  training = true;
  paused = false;
  stopAsked = false;
  const first: Metrics[] = [];
  let updates = 0;
  let sentRows = 0;
  let t0 = performance.now();
  let s0 = 0;
  let u0 = 0;
  let lastPost = 0;
  let firstUpdateAt = 0;
  let lastUpdateAt = 0;
  const progress: ProgressSink = {
    step(step) {
      const now = performance.now();
      if (now - lastPost < 250 && step !== config.train.steps) return;
      const dt = Math.max((now - t0) / 1000, 1e-9);
      post({
        type: 'progress',
        step,
        total: config.train.steps,
        sps: (step - s0) / dt,
        updates,
        ups: (updates - u0) / dt,
      });
      if (now - t0 > 2000) {
        t0 = now;
        s0 = step;
        u0 = updates;
      }
      lastPost = now;
      for (; sentRows < store.metrics.rows.length; sentRows++)
        post({ type: 'row', row: store.metrics.rows[sentRows] });
    },
    eval() {},
    done() {},
  };
  try {
    const started = await buildEnv(m.envId, config.train);
    post({
      type: 'started',
      envId: m.envId,
      algo,
      seed: m.seed,
      steps: config.train.steps,
      obsDim: started.obsDim,
      actDim: started.actDim,
    });
    started.env.close();
    const result = await runTraining(m.envId, config, {
      algo,
      seed: m.seed,
      store,
      interrupts,
      progress: () => progress,
      callbacks: {
        onUpdate(metrics) {
          updates++;
          const now = performance.now();
          if (updates === 1) firstUpdateAt = now;
          lastUpdateAt = now;
          if (first.length < FIRST_UPDATES) {
            first.push({ ...metrics });
            if (first.length === FIRST_UPDATES) post({ type: 'first-updates', metrics: first });
          }
        },
      },
    });
    if (first.length > 0 && first.length < FIRST_UPDATES)
      post({ type: 'first-updates', metrics: first });
    for (; sentRows < result.rows.length; sentRows++)
      post({ type: 'row', row: result.rows[sentRows] });
    post({
      type: 'done',
      step: result.steps,
      interrupted: result.interrupted,
      lastEval: result.lastEval?.mean ?? null,
      updates,
      updateSeconds: (lastUpdateAt - firstUpdateAt) / 1000,
    });
  } finally {
    training = false;
  }
}

// ------------------------------------------------------------------------------------------------
// Download and Load

function download(): void {
  if (!session) throw new Error('nothing to download: train first');
  const { store, info, config } = session;
  const root = `${info.algo}-${info.envId}-s${info.seed}-page`;
  const data = writeTar(store.files(info, config), root, Math.floor(Date.now() / 1000));
  post({ type: 'download', name: `${root}.tar`, data }, [data.buffer]);
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A run from the files given: a tar archive, or loose files (config.json, ckpt-*.json, its .safetensors). */
function runFromFiles(files: { name: string; data: Uint8Array }[]): Restored {
  let entries: TarEntry[] = files.map((f) => ({ path: f.name, data: f.data }));
  const tar = files.find((f) => f.name.endsWith('.tar'));
  if (tar) entries = readTar(tar.data);
  const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
  const cfg = entries.find((e) => base(e.path) === 'config.json');
  if (!cfg)
    throw new Error(
      "no config.json among the files (choose the run folder's config.json and a checkpoint pair, or a .tar from Download)",
    );
  const cks = entries
    .filter((e) => /^ckpt-\d+\.json$/.test(base(e.path)))
    .sort((a, b) => base(a.path).localeCompare(base(b.path)));
  const ckJson = cks[cks.length - 1];
  if (!ckJson) throw new Error('no checkpoint (ckpt-<step>.json) among the files');
  const meta = parseCheckpointMeta(text(ckJson.data), base(ckJson.path));
  const tensorsFile = entries.find((e) => base(e.path) === base(meta.tensorsFile));
  if (!tensorsFile)
    throw new Error(`the checkpoint's tensor file ${meta.tensorsFile} is not among the files`);
  const tensors = decodeCheckpointTensors(meta, tensorsFile.data, meta.tensorsFile);
  checkFiniteAgent({ meta, tensors }, base(ckJson.path));
  return restore(configFromRunText(text(cfg.data), 'config.json'), meta, tensors);
}

async function load(files: { name: string; data: Uint8Array }[]): Promise<void> {
  const r = runFromFiles(files);
  const ret = await playEpisode(r, 'loaded');
  post({
    type: 'loaded',
    algo: r.meta.algo,
    envId: r.meta.envId,
    step: r.meta.step,
    seed: r.meta.seed,
    return: ret,
  });
}

const fail = (e: unknown) =>
  post({ type: 'error', message: e instanceof Error ? e.message : String(e) });

scope.onmessage = (e) => {
  const m = e.data;
  try {
    switch (m.type) {
      case 'start':
        void start(m).catch((err: unknown) =>
          post({
            type: 'error',
            message: err instanceof Error ? err.message : String(err),
            ended: true,
          }),
        );
        break;
      case 'defaults': {
        const c = resolveConfig({ algo: m.algo, envId: m.envId, preset: 'small', sets: m.sets });
        post({
          type: 'defaults',
          envId: m.envId,
          algo: m.algo,
          steps: c.train.steps,
          evalEvery: c.train.evalEvery,
          randomSteps: c.train.randomSteps,
        });
        break;
      }
      case 'pause':
        paused = true;
        post({ type: 'paused', step: -1 });
        break;
      case 'resume':
        paused = false;
        wake?.();
        post({ type: 'resumed', step: -1 });
        break;
      case 'stop':
        stopAsked = true;
        paused = false;
        wake?.();
        break;
      case 'download':
        download();
        break;
      case 'load':
        void load(m.files).catch(fail);
        break;
    }
  } catch (err) {
    fail(err);
  }
};
