/**
 * Training runs kept in run folders (Node): train() and resumeTraining() around the host-free loop
 * of ./loop-core.ts (its header describes the order of a step, exact resume and the divergence
 * stop), with a run folder as its store, the progress line on stderr and SIGINT / SIGTERM handling.
 *
 * Nothing lost. Every file the loop rewrites goes through write-temp, fsync, rename (./files.ts);
 * a new run folder is created only once the environments, agent and replay buffer exist; a resume
 * writes nothing until the checkpoint loaded, its episode replayed and the metrics rows checked.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { NamedArray } from '../nn/index.ts';
import {
  applySet,
  configFromRunFile,
  validateConfig,
  type Algo,
  type Config,
} from '../config/index.ts';
import { envSpec } from '../envs/index.ts';
import type { EnvFactory } from './env.ts';
import { MetricsWriter, readMetrics } from './metrics-files.ts';
import {
  checkpointsDir,
  findCheckpoint,
  listCheckpoints,
  saveCheckpoint,
  type CheckpointInput,
} from './checkpoint.ts';
import { checkCreatableDir, makeDirs, removeStaleTemps, writeFileAtomic } from './files.ts';
import { Progress } from './progress.ts';
import {
  NonFiniteError,
  runConfigText,
  runLoop,
  type Interrupts,
  type LoopOptions,
  type RunInfo,
  type RunStore,
  type TrainCallbacks,
  type TrainResult,
} from './loop-core.ts';

export { NonFiniteError };
export type { StepInfo, TrainCallbacks, TrainResult, RunInfo } from './loop-core.ts';

/**
 * A request the run cannot honour as given (a resume length below the checkpoint's step, a run
 * folder that exists or is not a run): the CLI reports it as a usage error (exit code 2).
 */
export class RunRequestError extends Error {
  override name = 'RunRequestError';
}

/** Options of train: algorithm, seed, where the run folder goes, progress, callbacks. */
export interface TrainOptions {
  /** Algorithm (default 'rfm'). */
  algo?: Algo;
  /** Seed of the agent, the loop and the environments (default 0). */
  seed?: number;
  /** Parent folder for the run folder; null or absent: nothing is written to disk. */
  outDir?: string | null;
  /** Run folder name (default `<algo>-<env>-s<seed>-<time>`). */
  runName?: string;
  /** Progress line on stderr (default false in the library; the CLI turns it on). */
  progress?: boolean;
  callbacks?: TrainCallbacks;
  /** How to build the environment (tests); default: the registry with a TimeLimit. */
  envFactory?: EnvFactory;
  /**
   * Stop cleanly on SIGINT / SIGTERM: finish the current step, write a checkpoint there (resume
   * continues exactly from it) and return with `interrupted: true`. The CLI turns this on.
   */
  handleSignals?: boolean;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** A run folder as the loop's store: checkpoints/, metrics.jsonl and metrics.csv. */
class FolderStore implements RunStore {
  readonly metrics: MetricsWriter;
  constructor(readonly location: string) {
    this.metrics = new MetricsWriter(location);
  }
  prepare(): void {
    for (const d of [this.location, join(this.location, 'checkpoints')]) removeStaleTemps(d);
  }
  saveCheckpoint(meta: CheckpointInput, tensors: Map<string, NamedArray>): void {
    saveCheckpoint(join(this.location, 'checkpoints'), meta, tensors);
  }
  newestGood(): { path: string; step: number } {
    const good = findCheckpoint(this.location);
    return { path: good.path, step: good.checkpoint.meta.step };
  }
}

/** The loop options of a Node run: the progress line on stderr and SIGINT / SIGTERM handling, as asked. */
function nodeLoopOptions(
  options: TrainOptions,
  algo: Algo,
  envId: string,
  config: Config,
  runDir: string | null,
): LoopOptions {
  const tc = config.train;
  const out: LoopOptions = { callbacks: options.callbacks, envFactory: options.envFactory };
  if (options.progress) {
    out.progress = (start) =>
      new Progress({
        total: tc.steps,
        start,
        label: `${algo} ${envId}`,
        plainEvery: Math.max(tc.logEvery, Math.ceil(tc.steps / 20)),
      });
  }
  if (options.handleSignals) {
    let interrupted = false;
    const onSignal = () => {
      interrupted = true;
    };
    const signals: Interrupts = {
      begin() {
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      },
      end() {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      },
      async yieldTurn() {
        await new Promise((r) => setImmediate(r));
      },
      requested: () => interrupted,
      stopped(step) {
        process.stderr.write(
          `interrupted at step ${step}${runDir ? `; checkpoint written (rfm train --resume ${runDir})` : ''}\n`,
        );
      },
    };
    out.interrupts = signals;
  }
  return out;
}

/**
 * Trains `algo` on `envId` with `config` (a resolved Config: see resolveConfig in src/config).
 * With `outDir`, writes `<outDir>/<run>/` with run.json, config.json, metrics.jsonl, metrics.csv
 * and checkpoints/.
 */
export async function train(
  envId: string,
  config: Config,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const algo = options.algo ?? 'rfm';
  const seed = options.seed ?? 0;
  if (!options.envFactory) envSpec(envId); // an unknown id fails here, before a run folder exists
  let runDir: string | null = null;
  let commit: (() => void) | null = null;
  if (options.outDir) {
    const dir = resolve(
      options.outDir,
      options.runName ?? `${algo}-${envId}-s${seed}-${timestamp()}`,
    );
    runDir = dir;
    if (existsSync(join(dir, 'run.json')))
      throw new RunRequestError(
        `run folder ${dir} already exists (resume it with --resume, or choose another name)`,
      );
    checkCreatableDir(dir);
    // The folder is made once the environments, agent and buffer exist (see runLoop), so a
    // setup failure leaves no half-made run behind.
    commit = () => {
      makeDirs(join(dir, 'checkpoints'));
      const info: RunInfo = { algo, envId, seed, created: new Date().toISOString() };
      writeFileAtomic(join(dir, 'run.json'), JSON.stringify(info, null, 2) + '\n');
      writeRunConfig(dir, info, config);
    };
  }
  return runLoop({
    algo,
    envId,
    seed,
    config,
    store: runDir ? new FolderStore(runDir) : null,
    options: nodeLoopOptions(options, algo, envId, config, runDir),
    resume: null,
    commit,
  });
}

export interface ResumeOptions extends Omit<TrainOptions, 'algo' | 'seed' | 'outDir' | 'runName'> {
  /** The new total of environment steps (not below the checkpoint's step). */
  steps?: number;
  /**
   * Where to continue from: a step of one of the run's checkpoints, or a checkpoint JSON path.
   * Default: the newest checkpoint that verifies (newer ones that do not are reported and skipped).
   */
  from?: number | string;
  /** `key=value` config overrides (as `--set`), e.g. a smaller 'rfm.actorLr' after a divergence. */
  sets?: readonly string[];
  /** Where notes go (skipped checkpoints, set-aside checkpoints); default: stderr. */
  warn?: (line: string) => void;
}

/**
 * Continues a run from a checkpoint (default: its newest good one), up to `steps` total
 * environment steps (default: the run's train.steps), with the run's config plus any `sets`.
 * Checkpoints newer than the one continued from are moved to checkpoints/abandoned-<time>/
 * (kept, but no longer picked up). Nothing is written unless everything checks out.
 */
export async function resumeTraining(
  runDir: string,
  options: ResumeOptions = {},
): Promise<TrainResult> {
  const dir = resolve(runDir);
  const warn = options.warn ?? ((line: string) => void process.stderr.write(`${line}\n`));
  if (!existsSync(dir)) throw new RunRequestError(`${dir} does not exist`);
  if (!existsSync(join(dir, 'run.json')))
    throw new RunRequestError(`${dir} is not a run folder (no run.json)`);
  let info: RunInfo;
  try {
    info = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunInfo;
  } catch (e) {
    throw new Error(
      `${join(dir, 'run.json')} is unreadable or not valid JSON (${(e as Error).message})`,
    );
  }
  const config = configFromRunFile(join(dir, 'config.json'));
  for (const assignment of options.sets ?? []) applySet(config, assignment);
  if (options.steps !== undefined) {
    if (!(Number.isSafeInteger(options.steps) && options.steps >= 1))
      throw new RunRequestError(`resume: steps must be a positive integer, got ${options.steps}`);
    config.train.steps = options.steps;
  }
  validateConfig(config);
  for (const d of [dir, join(dir, 'checkpoints')]) removeStaleTemps(d);
  const from = options.from;
  if (
    typeof from === 'string' &&
    resolve(dirname(resolve(from))) !== resolve(checkpointsDir(dir))
  ) {
    throw new RunRequestError(
      `--from ${from} is not one of this run's checkpoints (they are in ${checkpointsDir(dir)})`,
    );
  }
  const found = findCheckpoint(typeof from === 'string' ? resolve(from) : dir, {
    step: typeof from === 'number' ? from : undefined,
    warn,
  });
  const ckStep = found.checkpoint.meta.step;
  if (config.train.steps < ckStep) {
    throw new RunRequestError(
      `--steps ${config.train.steps} is below the step of the checkpoint to continue from (${ckStep}, ${basename(found.path)}); give a total of at least ${ckStep}`,
    );
  }
  const changed = options.steps !== undefined || (options.sets ?? []).length > 0;
  const branches = (options.sets ?? []).length > 0 || from !== undefined; // what follows may differ from what was
  const commit = () => {
    if (changed) writeRunConfig(dir, info, config);
    const setAside = setAsideNewer(checkpointsDir(dir), ckStep, warn);
    // The rows after the checkpoint are about to be dropped; when the run continues differently
    // (other settings or an older checkpoint) they are not reproduced, so a copy is kept.
    const metrics = join(dir, 'metrics.jsonl');
    if (branches && existsSync(metrics)) {
      const rows = readMetrics(dir);
      const after = rows.filter((r) => r.step > ckStep);
      if (after.length > 0) {
        const copy = join(
          setAside ?? dir,
          setAside ? 'metrics.jsonl' : `metrics.before-resume-${timestamp()}.jsonl`,
        );
        writeFileAtomic(copy, readFileSync(metrics));
        warn(`kept the ${after.length} metrics row(s) after step ${ckStep} in ${copy}`);
      }
    }
  };
  return runLoop({
    algo: info.algo,
    envId: info.envId,
    seed: info.seed,
    config,
    store: new FolderStore(dir),
    options: nodeLoopOptions(options, info.algo, info.envId, config, dir),
    resume: found,
    commit,
  });
}

/**
 * Moves the checkpoints after `step` (a branch a resume from an older checkpoint abandons) into a
 * subfolder; returns it (null when there were none).
 */
function setAsideNewer(dir: string, step: number, warn: (line: string) => void): string | null {
  const newer = listCheckpoints(dir).filter((p) => Number(/ckpt-(\d+)\.json$/.exec(p)![1]) > step);
  if (newer.length === 0) return null;
  let to = join(dir, `abandoned-${timestamp()}`);
  for (let k = 2; existsSync(to); k++) to = join(dir, `abandoned-${timestamp()}-${k}`); // never over an earlier set
  makeDirs(to);
  for (const p of newer) {
    for (const f of [p, p.replace(/\.json$/, '.safetensors')])
      if (existsSync(f)) renameSync(f, join(to, basename(f)));
  }
  warn(`moved ${newer.length} checkpoint(s) after step ${step} to ${to}`);
  return to;
}

/** config.json (see runConfigText). */
function writeRunConfig(dir: string, info: RunInfo, config: Config): void {
  writeFileAtomic(join(dir, 'config.json'), runConfigText(info, config));
}
