/**
 * The `rfm` commands as data: the module under ./commands that implements each, its one-line
 * summary (for `rfm help`) and, where the text is fixed, its usage (for `rfm COMMAND --help`). This
 * file imports nothing, so `help` and `--help` answer without loading any command or its
 * dependencies. (The usage of `estimators`, `sample-energy` and `bench` is built from their
 * modules' constants; their `--help` loads the module.) A new command adds a row here.
 */

export interface CommandEntry {
  /** File name under ./commands, without extension; it exports `command: Command`. */
  readonly module: string;
  /** One line shown by `rfm help`. */
  readonly summary: string;
  /** The text of `rfm COMMAND --help`; absent: the command prints its own. */
  readonly usage?: string;
}

export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  bench: {
    module: 'bench',
    summary: 'benchmarks: engine, envs, update (rfm bench NAME --help)',
  },
  envs: {
    module: 'envs',
    summary:
      'list the registered environments (id, family, observation/action sizes, episode limit)',
    usage: 'usage: rfm envs list [--json] [--check]   (--check builds every env to read its sizes)',
  },
  estimators: {
    module: 'estimators',
    summary: 'posterior-mean estimator MSE (NE/GE/CV) on Gaussian mixtures; table, SVG, --json',
  },
  'sample-energy': {
    module: 'sample-energy',
    summary: 'train a flow sampler on a 2-D energy with NE/GE/CV; energy distance to exact samples',
  },
  train: {
    module: 'train',
    summary:
      'train an agent on an environment (run folder with metrics and checkpoints; --resume, --seeds)',
    usage: `usage: rfm train --algo A --env ID [--steps N] [--seed S] [--preset paper|lite|small]
                 [--seeds 0,1,2] [--config FILE.json|yaml ...] [--set key=value ...] [--out runs/] [--name NAME] [--quiet]
       rfm train --resume RUN [--from STEP|CHECKPOINT.json] [--steps N] [--set key=value ...]

  --algo      rfm | rfm-diffusion | sac | td3 | dqs | qsm | qvpo | maxentdp  (README: Algorithms)
  --steps N   total environment steps (same as --set train.steps=N; on resume: the new total)
  --seeds L   comma-separated seeds, run one after another (one run folder each: NAME-s<seed>)
  --set       any config key, dotted: --set rfm.temperature=0.05 --set train.evalEvery=5000
  --resume    continue a run from its newest checkpoint that verifies (--from: another one),
              e.g. after a divergence: --resume RUN --from 3000 --set rfm.actorLr=1e-4
  Config layers: defaults, algorithm, task defaults, preset, task requirements, files, --set
              (later wins); rfm config show --algo A --env ID [--preset P] prints the result.`,
  },
  config: {
    module: 'config',
    summary: 'show the resolved config of a run: every key with its value and its default',
    usage: `usage: rfm config show --algo A [--env ID] [--preset paper|lite|small] [--config FILE ...] [--set key=value ...] [--json]

Prints the resolved config of a run (the layers of \`rfm train\`: defaults, algorithm, task defaults,
preset, task requirements, files, --set): one dotted key a line with its value and its default
(keys whose value differs from the default are marked *). --json prints {"config", "defaults"}.`,
  },
  eval: {
    module: 'eval',
    summary: 'evaluate a trained run (deterministic actions, seeded episodes)',
    usage:
      'usage: rfm eval RUN [--episodes 10] [--seed S] [--json] [--record FILE.rollout.json] [--samples FILE.samples.json]   (RUN: a run folder or a checkpoint .json; --record saves the first episode of a MuJoCo task, --samples 1000 stochastic actions at its first state, for `rfm dashboard`)',
  },
  plot: {
    module: 'plot',
    summary: 'learning curves (IQM across seeds, bootstrap 95% band) of run folders, to PNG or SVG',
    usage: `usage: rfm plot RUN_OR_GLOB... [--metric KEY] [--out FILE.png|FILE.svg] [--resamples N] [--seed S]

Learning curves of training runs. Each argument is a run folder (config.json + metrics.jsonl), a
folder holding run folders, or a glob of either ('runs/*/', 'runs/**/sac-*'). Runs are grouped by
task and algorithm (read from config.json); each group is drawn as the interquartile mean (IQM)
across its runs at every step, with a 95% percentile-bootstrap confidence band over runs.

  --metric KEY     the metrics.jsonl key on the y axis (default eval/return)
  --out FILE       .png or .svg (default plot.png)
  --resamples N    bootstrap resamples (default 2000)
  --seed S         seed of the bootstrap (default 0)`,
  },
  dashboard: {
    module: 'dashboard',
    summary:
      'web dashboard over a runs folder: live curves, RFM diagnostics, samples, 3-D rollout replay',
    usage: `usage: rfm dashboard [--runs DIR] [--port P] [--host H]

A web app over the run folders under DIR (default runs/): lists them, draws their learning curves
live while training appends to metrics.jsonl, compares selected runs, shows the RFM diagnostics
(ESS, mean c, losses, Q statistics, temperature), scatters *.samples.json point sets, and replays
*.rollout.json MuJoCo recordings in 3-D. It only reads the folder.

  --runs DIR   runs folder (default runs)
  --port P     port (default 8080; 0 picks a free one)
  --host H     interface to listen on (default 127.0.0.1: this machine only); requests must
               address localhost, 127.0.0.1, [::1] or H itself (Host header), so to reach it from
               another machine give that interface's address, not 0.0.0.0`,
  },
  demo: {
    module: 'demo',
    summary: 'build (and serve) the train-in-the-browser page: SAC and RFM on MuJoCo tasks, live',
  },
  sweep: {
    module: 'sweep',
    summary:
      'run a grid of training runs (local pool, or BullMQ on Redis with --queue); status; report',
  },
  worker: {
    module: 'worker',
    summary: 'take sweep jobs from a BullMQ queue on Redis and train them (rfm sweep --queue)',
  },
};

/** The usage text of a command that has one in the table. */
export function usageOf(name: string): string {
  const u = COMMANDS[name]?.usage;
  if (u === undefined) throw new Error(`rfm: no usage text for '${name}' in src/cli/table.ts`);
  return u;
}
