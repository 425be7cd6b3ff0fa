/**
 * Messages between the demo page (src/demo/static/page.js) and its training worker
 * (./worker.ts). Plain data only (structured clone); byte arrays are transferred.
 */

/** The wasm backend's module, a file of the site beside worker.js. */
export const WASM_KERNELS_FILE = 'rfm_kernels.wasm';

/** Page -> worker. */
export type ToWorker =
  | {
      type: 'start';
      envId: string;
      algo: 'sac' | 'rfm';
      seed: number;
      /** Total environment steps; absent: the CLI's (`rfm config show --preset small`). */
      steps?: number;
      /** Evaluation (and checkpoint, and policy view) cadence in steps; absent: the CLI's. */
      evalEvery?: number;
      /** Extra `key=value` settings (tests shorten runs with them). */
      sets?: string[];
      /**
       * The engine backend: 'ts' (the default; the same numbers as Node's TypeScript backend) or
       * 'wasm' (the C++ kernels as WebAssembly, fetched from WASM_KERNELS_FILE beside the worker).
       */
      backend?: 'ts' | 'wasm';
    }
  /** The settings the CLI resolves for the task (small preset, these `sets`): answered with 'defaults'. */
  | { type: 'defaults'; envId: string; algo: 'sac' | 'rfm'; sets?: string[] }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  /** The run folder of the newest checkpoint, as a tar archive. */
  | { type: 'download' }
  /** A run (a tar archive from Download, or a run folder's config.json and checkpoint pair) to load and play. */
  | { type: 'load'; files: { name: string; data: Uint8Array }[] };

/** Worker -> page. */
export type FromWorker =
  | {
      type: 'started';
      envId: string;
      algo: string;
      seed: number;
      steps: number;
      obsDim: number;
      actDim: number;
    }
  /** What `rfm train --algo A --env ID --preset small` would use: total steps and evaluation cadence. */
  | {
      type: 'defaults';
      envId: string;
      algo: string;
      steps: number;
      evalEvery: number;
      randomSteps: number;
    }
  | { type: 'progress'; step: number; total: number; sps: number; updates: number; ups: number }
  | { type: 'row'; row: Record<string, number> }
  /** The metrics of the first updates of a run (for the determinism check against Node). */
  | { type: 'first-updates'; metrics: Record<string, number>[] }
  | { type: 'paused'; step: number }
  | { type: 'resumed'; step: number }
  /** A policy episode to show: a MuJoCo rollout (JSON text of a .rollout.json), or angles of a pendulum. */
  | {
      type: 'episode';
      step: number;
      source: 'training' | 'loaded';
      return: number;
      rollout?: string;
      angles?: number[];
      dt?: number;
    }
  /** Stochastic actions of the policy at an episode's first state (first two dimensions, in [-1, 1]). */
  | { type: 'samples'; step: number; actDim: number; points: Float32Array }
  | { type: 'checkpoint'; step: number; evalReturn: number | null }
  | { type: 'download'; name: string; data: Uint8Array }
  | { type: 'loaded'; algo: string; envId: string; step: number; seed: number; return: number }
  /** `updates` gradient updates ran; `updateSeconds` from the end of the first to the end of the last (the update rate's clock). */
  | {
      type: 'done';
      step: number;
      interrupted: boolean;
      lastEval: number | null;
      updates: number;
      updateSeconds: number;
    }
  /** `ended`: the run stopped on this error. */
  | { type: 'error'; message: string; ended?: boolean };

/** The tasks the page offers (at least these four; any registered id works through the worker). */
export const DEMO_TASKS = [
  'Pendulum-v1',
  'InvertedPendulum-v5',
  'HalfCheetah-v5',
  'cartpole-swingup',
] as const;

/** How many update metrics 'first-updates' carries. */
export const FIRST_UPDATES = 32;
