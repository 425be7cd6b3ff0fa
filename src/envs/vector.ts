/**
 * Vector environments: N copies of one task stepped together.
 *
 *   SyncVectorEnv    steps the copies one after the other in this thread;
 *   AsyncVectorEnv   runs each copy in its own worker thread (node:worker_threads) and steps them
 *                    in parallel; each worker builds its env by id through the registry.
 *
 * Both have the same async interface, and the same numbers come out of both for the same seed.
 *
 * Batches are flat row-major arrays: observations [N, obsDim], actions [N, actDim]; rewards [N];
 * `terminated` / `truncated` are boolean[N]; infos are one object per copy.
 *
 * Seeding: `reset({ seed })` resets copy i with seed + i; `reset()` continues each copy's stream.
 *
 * Autoreset, "same-step" mode (Gymnasium 1.x AutoresetMode.SAME_STEP): on the step where copy i
 * ends (terminated or truncated), that copy is reset at once and the step returns the first
 * observation of its new episode; the last observation of the finished episode is in
 * `infos[i].finalObs` and that step's info in `infos[i].finalInfo` (the rest of infos[i] is the
 * reset info). The reward and the terminated/truncated flags are those of the finished episode,
 * so a replay buffer stores (obs, action, reward, done ? finalObs : nextObs, terminated).
 * Unlike "next-step" mode, no step is wasted on a reset and every action counts.
 */
import { Worker } from 'node:worker_threads';
import { Box, type Env, type Info, type ResetOptions, type StepResult } from './core.ts';
import { makeEnv, type MakeEnvOptions } from './registry.ts';

export type VectorResetResult = [obs: Float64Array, infos: Info[]];
export type VectorStepResult = [
  obs: Float64Array,
  rewards: Float64Array,
  terminated: boolean[],
  truncated: boolean[],
  infos: Info[],
];

/** Several copies of an environment stepped together, with Gymnasium's autoreset (SyncVectorEnv in-process, AsyncVectorEnv on worker threads). */
export interface VectorEnv {
  readonly id: string;
  readonly numEnvs: number;
  /** Space of one copy's observation; the batch is [numEnvs, size]. */
  readonly singleObservationSpace: Box;
  /** Space of one copy's action; the batch is [numEnvs, size]. */
  readonly singleActionSpace: Box;
  reset(options?: ResetOptions): Promise<VectorResetResult>;
  /** `actions`: [numEnvs, actDim] row-major. Resolves with the batched step (same-step autoreset). */
  step(actions: ArrayLike<number>): Promise<VectorStepResult>;
  close(): Promise<void>;
}

/** One step of a single env with same-step autoreset (shared by SyncVectorEnv and the workers). */
export function autoresetStep(env: Env, action: ArrayLike<number>): StepResult {
  const [obs, reward, terminated, truncated, info] = env.step(action);
  if (!(terminated || truncated)) return [obs, reward, terminated, truncated, info];
  const [first, resetInfo] = env.reset();
  return [first, reward, terminated, truncated, { ...resetInfo, finalObs: obs, finalInfo: info }];
}

function seedFor(options: ResetOptions | undefined, i: number): ResetOptions {
  if (options?.seed === undefined) return {};
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) {
    throw new Error(`vector env: seed must be a non-negative safe integer, got ${options.seed}`);
  }
  return { seed: options.seed + i };
}

function sameBox(a: Box, b: Box): boolean {
  return (
    a.size === b.size &&
    a.low.every((v, i) => Object.is(v, b.low[i])) &&
    a.high.every((v, i) => Object.is(v, b.high[i]))
  );
}

function checkNumEnvs(n: number): void {
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`vector env: numEnvs must be a positive integer, got ${n}`);
}

function rowOf(actions: ArrayLike<number>, i: number, d: number): ArrayLike<number> {
  if (actions instanceof Float64Array || actions instanceof Float32Array)
    return actions.subarray(i * d, (i + 1) * d);
  return Array.prototype.slice.call(actions, i * d, (i + 1) * d) as number[];
}

function checkBatch(id: string, actions: ArrayLike<number>, n: number, d: number): void {
  if (actions == null || actions.length !== n * d) {
    throw new Error(
      `${id} (vector of ${n}): actions must be a flat [${n}, ${d}] array of ${n * d} numbers, got length ${actions?.length}`,
    );
  }
}

/** Steps N envs in this thread, one after the other. */
export class SyncVectorEnv implements VectorEnv {
  readonly envs: Env[];
  readonly id: string;
  readonly numEnvs: number;
  readonly singleObservationSpace: Box;
  readonly singleActionSpace: Box;
  private started = false;

  constructor(envs: Env[]) {
    if (!Array.isArray(envs) || envs.length === 0)
      throw new RangeError('SyncVectorEnv: needs at least one env');
    this.envs = envs;
    this.numEnvs = envs.length;
    this.id = envs[0].id;
    this.singleObservationSpace = envs[0].observationSpace;
    this.singleActionSpace = envs[0].actionSpace;
    for (const e of envs) {
      if (
        !sameBox(e.observationSpace, this.singleObservationSpace) ||
        !sameBox(e.actionSpace, this.singleActionSpace)
      ) {
        throw new Error(`SyncVectorEnv: env ${e.id} has spaces different from ${this.id}'s`);
      }
    }
  }

  /** N copies of registered env `id`. */
  static async make(
    id: string,
    numEnvs: number,
    options: MakeEnvOptions = {},
  ): Promise<SyncVectorEnv> {
    checkNumEnvs(numEnvs);
    const envs: Env[] = [];
    for (let i = 0; i < numEnvs; i++) envs.push(await makeEnv(id, options));
    return new SyncVectorEnv(envs);
  }

  async reset(options?: ResetOptions): Promise<VectorResetResult> {
    const d = this.singleObservationSpace.size;
    const obs = new Float64Array(this.numEnvs * d);
    const infos: Info[] = [];
    for (let i = 0; i < this.numEnvs; i++) {
      const [o, info] = this.envs[i].reset(seedFor(options, i));
      obs.set(o, i * d);
      infos.push(info);
    }
    this.started = true;
    return [obs, infos];
  }

  async step(actions: ArrayLike<number>): Promise<VectorStepResult> {
    if (!this.started) throw new Error(`${this.id} (vector): step() called before reset()`);
    const n = this.numEnvs;
    const da = this.singleActionSpace.size;
    const d = this.singleObservationSpace.size;
    checkBatch(this.id, actions, n, da);
    const obs = new Float64Array(n * d);
    const rewards = new Float64Array(n);
    const terminated: boolean[] = [];
    const truncated: boolean[] = [];
    const infos: Info[] = [];
    for (let i = 0; i < n; i++) {
      const [o, r, term, trunc, info] = autoresetStep(this.envs[i], rowOf(actions, i, da));
      obs.set(o, i * d);
      rewards[i] = r;
      terminated.push(term);
      truncated.push(trunc);
      infos.push(info);
    }
    return [obs, rewards, terminated, truncated, infos];
  }

  async close(): Promise<void> {
    for (const e of this.envs) e.close();
  }
}

/** What a worker sends back (see vector-worker.ts). */
export type WorkerReply =
  | {
      ok: true;
      obs: Float64Array;
      info: Info;
      reward?: number;
      terminated?: boolean;
      truncated?: boolean;
    }
  | { ok: false; message: string; stack?: string };

/** What the parent sends a worker. */
export type WorkerRequest =
  { cmd: 'reset'; seed?: number } | { cmd: 'step'; action: Float64Array } | { cmd: 'close' };

/** The spaces a worker reports once its env is built. */
export interface WorkerReady {
  ok: true;
  ready: true;
  obs: { low: Float64Array; high: Float64Array; shape: number[] };
  act: { low: Float64Array; high: Float64Array; shape: number[] };
}

export interface AsyncVectorEnvOptions extends MakeEnvOptions {
  /**
   * Modules (file URLs or package names) each worker imports before building its env, e.g. a module
   * that calls registerEnv() for a user task. Built-in ids need none.
   */
  workerImports?: string[];
}

// From the sources (tsx) the worker starts through a bootstrap that registers tsx; the compiled
// package (dist/) starts the compiled worker directly.
const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('./vector-worker.mjs', import.meta.url)
  : new URL('./vector-worker.js', import.meta.url);

class WorkerHandle {
  readonly worker: Worker;
  private pending: { resolve: (v: any) => void; reject: (e: Error) => void } | undefined;
  private dead: Error | undefined;

  constructor(worker: Worker, label: string) {
    this.worker = worker;
    worker.on('message', (msg: any) => {
      const p = this.pending;
      this.pending = undefined;
      // Between requests an idle worker must not keep the process alive (see AsyncVectorEnv).
      worker.unref();
      if (!p) return;
      if (msg && msg.ok) p.resolve(msg);
      else {
        const e = new Error(msg?.message ?? `${label}: malformed reply from worker`);
        if (msg?.stack) e.stack = `${e.message}\n(worker) ${msg.stack}`;
        p.reject(e);
      }
    });
    worker.on('error', (err) => this.fail(new Error(`${label}: worker failed: ${err.message}`)));
    worker.on('exit', (code) => this.fail(new Error(`${label}: worker exited (code ${code})`)));
  }

  private fail(e: Error): void {
    this.dead ??= e;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(e);
  }

  /** Waits for the next message (the first one is the 'ready' report). */
  next<T>(): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.pending)
      return Promise.reject(new Error('vector env: a request to this worker is already in flight'));
    this.worker.ref(); // a request in flight keeps the process alive until it is answered
    return new Promise<T>((resolve, reject) => {
      this.pending = { resolve, reject };
    });
  }

  call<T>(req: WorkerRequest): Promise<T> {
    const p = this.next<T>();
    if (!this.dead) this.worker.postMessage(req);
    return p;
  }
}

/**
 * N copies of registered env `id`, each in a worker thread. Build with `await AsyncVectorEnv.create()`
 * and `close()` it when done (that frees the envs and ends the threads). Idle workers are unref'd,
 * so a forgotten close() does not keep the process from exiting; a request in flight does.
 *
 * If one copy throws during step() (e.g. a NaN action), the call rejects with that copy's error;
 * the other copies have stepped, so reset before stepping again.
 */
export class AsyncVectorEnv implements VectorEnv {
  readonly id: string;
  readonly numEnvs: number;
  readonly singleObservationSpace: Box;
  readonly singleActionSpace: Box;
  private readonly handles: WorkerHandle[];
  private started = false;
  private closed = false;
  private busy = false;

  private constructor(id: string, handles: WorkerHandle[], obsSpace: Box, actSpace: Box) {
    this.id = id;
    this.handles = handles;
    this.numEnvs = handles.length;
    this.singleObservationSpace = obsSpace;
    this.singleActionSpace = actSpace;
  }

  static async create(
    id: string,
    numEnvs: number,
    options: AsyncVectorEnvOptions = {},
  ): Promise<AsyncVectorEnv> {
    checkNumEnvs(numEnvs);
    const { workerImports = [], ...makeOptions } = options;
    const handles: WorkerHandle[] = [];
    for (let i = 0; i < numEnvs; i++) {
      const w = new Worker(WORKER_URL, {
        // The bootstrap registers tsx itself; not inheriting the parent's flags avoids loading it twice.
        execArgv: [],
        workerData: { id, makeOptions, workerImports },
      });
      handles.push(new WorkerHandle(w, `${id} (worker ${i})`));
    }
    let readies: WorkerReady[];
    try {
      readies = await Promise.all(handles.map((h) => h.next<WorkerReady>()));
    } catch (e) {
      await Promise.all(handles.map((h) => h.worker.terminate()));
      throw e;
    }
    const r = readies[0];
    const obsSpace = new Box(r.obs.low, r.obs.high, r.obs.shape);
    const actSpace = new Box(r.act.low, r.act.high, r.act.shape);
    return new AsyncVectorEnv(id, handles, obsSpace, actSpace);
  }

  private enter(what: string): void {
    if (this.closed) throw new Error(`${this.id} (async vector): ${what}() after close()`);
    if (this.busy)
      throw new Error(
        `${this.id} (async vector): ${what}() while another call is in flight; await it first`,
      );
    this.busy = true;
  }

  async reset(options?: ResetOptions): Promise<VectorResetResult> {
    const seeds = this.handles.map((_, i) => seedFor(options, i));
    this.enter('reset');
    try {
      const replies = await Promise.all(
        this.handles.map((h, i) =>
          h.call<{ obs: Float64Array; info: Info }>({ cmd: 'reset', seed: seeds[i].seed }),
        ),
      );
      const d = this.singleObservationSpace.size;
      const obs = new Float64Array(this.numEnvs * d);
      replies.forEach((rep, i) => obs.set(rep.obs, i * d));
      this.started = true;
      return [obs, replies.map((rep) => rep.info)];
    } finally {
      this.busy = false;
    }
  }

  async step(actions: ArrayLike<number>): Promise<VectorStepResult> {
    if (!this.started) throw new Error(`${this.id} (async vector): step() called before reset()`);
    const n = this.numEnvs;
    const da = this.singleActionSpace.size;
    checkBatch(this.id, actions, n, da);
    this.enter('step');
    try {
      const replies = await Promise.all(
        this.handles.map((h, i) =>
          h.call<{
            obs: Float64Array;
            info: Info;
            reward: number;
            terminated: boolean;
            truncated: boolean;
          }>({
            cmd: 'step',
            action: Float64Array.from(rowOf(actions, i, da)),
          }),
        ),
      );
      const d = this.singleObservationSpace.size;
      const obs = new Float64Array(n * d);
      const rewards = new Float64Array(n);
      replies.forEach((rep, i) => {
        obs.set(rep.obs, i * d);
        rewards[i] = rep.reward;
      });
      return [
        obs,
        rewards,
        replies.map((rep) => rep.terminated),
        replies.map((rep) => rep.truncated),
        replies.map((rep) => rep.info),
      ];
    } finally {
      this.busy = false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.handles.map(async (h) => {
        try {
          await h.call({ cmd: 'close' });
        } catch {
          // a dead worker has nothing left to close
        }
        await h.worker.terminate();
      }),
    );
  }
}

export interface MakeVectorEnvOptions extends AsyncVectorEnvOptions {
  /** 'sync' (default) or 'async' (worker threads). */
  mode?: 'sync' | 'async';
}

/** N copies of registered env `id`, stepped in this thread ('sync') or in worker threads ('async'). */
export async function makeVectorEnv(
  id: string,
  numEnvs: number,
  options: MakeVectorEnvOptions = {},
): Promise<VectorEnv> {
  const { mode = 'sync', ...rest } = options;
  if (mode === 'async') return AsyncVectorEnv.create(id, numEnvs, rest);
  if (mode !== 'sync')
    throw new Error(`makeVectorEnv: mode must be 'sync' or 'async', got '${String(mode)}'`);
  if (rest.workerImports?.length)
    throw new Error("makeVectorEnv: workerImports only applies to mode 'async'");
  return SyncVectorEnv.make(id, numEnvs, {
    maxEpisodeSteps: rest.maxEpisodeSteps,
    envOptions: rest.envOptions,
    wrappers: rest.wrappers,
  });
}
