/**
 * Sweeps: grids of training runs (algorithms x tasks x seeds x settings) run by a local pool of
 * `rfm train` processes or by BullMQ workers on many machines, then reported in one table.
 *
 *   ./grid.ts     the grid file, its validation, run ids, job payloads and their checks
 *   ./runner.ts   one run: an `rfm train` child in its run folder (skip, resume or start)
 *   ./lock.ts     the per-run lock file
 *   ./pool.ts     the local pool (`rfm sweep GRID --workers N`)
 *   ./queue.ts    BullMQ on Redis (`rfm sweep GRID --queue URL`, `rfm worker`, `rfm sweep status`)
 *   ./report.ts   `rfm sweep report`
 */
export {
  expandGrid,
  loadGrid,
  checkPayload,
  toPayload,
  runId,
  SweepError,
  SAFE_NAME,
  type Grid,
  type RunSpec,
  type RunPayload,
  type RunLabel,
} from './grid.ts';
export {
  startRun,
  runDirOf,
  readDone,
  RFM_BIN,
  DONE_FILE,
  type RunOutcome,
  type RunProgress,
  type RunHandle,
  type DoneInfo,
} from './runner.ts';
export {
  LocalPool,
  defaultWorkers,
  writeSweepIndex,
  type PoolOptions,
  type PoolSummary,
} from './pool.ts';
export {
  sweepReport,
  reportMarkdown,
  reportJson,
  type SweepReport,
  type ReportRow,
} from './report.ts';
