/**
 * A RunStore in memory (a page has no run folder): it keeps the newest checkpoint, encoded exactly
 * as a run folder would hold it, and the run's identity and configuration, so that a page can offer
 * the run as files that `rfm eval` reads (run.json, config.json, checkpoints/ckpt-<step>.*).
 */
import type { Config } from '../config/index.ts';
import type { NamedArray } from '../nn/safetensors.ts';
import {
  encodeCheckpoint,
  type CheckpointInput,
  type EncodedCheckpoint,
} from './checkpoint-format.ts';
import { runConfigText, type RunInfo, type RunStore } from './loop-core.ts';
import { MemoryMetrics } from './metrics.ts';

/** One file of a run folder: its path relative to the folder and its bytes. */
export interface RunFile {
  readonly path: string;
  readonly data: Uint8Array;
}

export class MemoryRunStore implements RunStore {
  readonly metrics = new MemoryMetrics();
  /** The newest checkpoint kept (null before the first). */
  newest: EncodedCheckpoint | null = null;

  constructor(readonly location: string) {}

  prepare(): void {}

  saveCheckpoint(meta: CheckpointInput, tensors: Map<string, NamedArray>): void {
    this.newest = encodeCheckpoint(meta, tensors);
  }

  newestGood(): { path: string; step: number } {
    if (!this.newest) throw new Error(`no checkpoint kept yet in ${this.location}`);
    return { path: `checkpoints/${this.newest.stem}.json`, step: this.newest.meta.step };
  }

  /**
   * The run folder's files for the newest checkpoint: run.json, config.json (identity then Config,
   * as the CLI writes it), metrics.jsonl and the checkpoint pair. Throws when none was kept yet.
   */
  files(info: RunInfo, config: Config): RunFile[] {
    const ck = this.newest;
    if (!ck) throw new Error('no checkpoint yet: train until the first checkpoint');
    const text = (s: string) => new TextEncoder().encode(s);
    return [
      { path: 'run.json', data: text(JSON.stringify(info, null, 2) + '\n') },
      { path: 'config.json', data: text(runConfigText(info, config)) },
      {
        path: 'metrics.jsonl',
        data: text(this.metrics.rows.map((r) => JSON.stringify(r) + '\n').join('')),
      },
      { path: `checkpoints/${ck.stem}.safetensors`, data: ck.tensorBytes },
      { path: `checkpoints/${ck.stem}.json`, data: text(ck.jsonText) },
    ];
  }
}
