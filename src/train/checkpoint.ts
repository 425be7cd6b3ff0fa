/**
 * Checkpoints: a safetensors file of every array (agent parameters, targets and optimiser moments
 * under 'agent.', the replay buffer under 'replay.', the current episode under 'loop.') and a
 * small JSON with everything else (versioned schema below), in `<run>/checkpoints/`:
 *
 *   ckpt-<step>.safetensors   written first (temp file, fsync, rename)
 *   ckpt-<step>.json          written last, same way; it holds the SHA-256 of the tensor file.
 *
 * The JSON's rename is the commit point: a crash before it leaves the previous checkpoint as the
 * latest one, and a tensor file that no longer matches its recorded hash (bit rot, truncation,
 * a partial copy) is refused with an error that names it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  checkFiniteAgent,
  checkpointStem,
  CheckpointError,
  decodeCheckpointTensors,
  encodeCheckpoint,
  parseCheckpointMeta,
  withPrefix,
  type Checkpoint,
  type CheckpointInput,
} from './checkpoint-format.ts';
import type { NamedArray } from '../nn/index.ts';
import { makeDirs, writeFileAtomic } from './files.ts';

export { writeFileAtomic, CheckpointError, withPrefix };
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type Checkpoint,
  type CheckpointInput,
  type CheckpointMeta,
} from './checkpoint-format.ts';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Saves a checkpoint; returns the JSON path. Keeps the newest `keep` checkpoints in the folder. */
export function saveCheckpoint(
  dir: string,
  meta: CheckpointInput,
  tensors: Map<string, NamedArray>,
  keep = 2,
): string {
  makeDirs(dir);
  const enc = encodeCheckpoint(meta, tensors, sha256);
  writeFileAtomic(join(dir, `${enc.stem}.safetensors`), enc.tensorBytes);
  const jsonPath = join(dir, `${enc.stem}.json`);
  writeFileAtomic(jsonPath, enc.jsonText);
  const all = listCheckpoints(dir);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) {
    rmSync(old, { force: true });
    rmSync(old.replace(/\.json$/, '.safetensors'), { force: true });
  }
  return jsonPath;
}

/** Committed checkpoints (their JSON files) in `dir`, oldest first. */
export function listCheckpoints(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^ckpt-\d+\.json$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** Reads and verifies a checkpoint (its JSON path); any mismatch is a CheckpointError naming the file. */
export function loadCheckpoint(jsonPath: string): Checkpoint {
  let text: string;
  try {
    text = readFileSync(jsonPath, 'utf8');
  } catch (e) {
    throw new CheckpointError(
      `checkpoint ${jsonPath} is unreadable or not valid JSON (${(e as Error).message})`,
    );
  }
  const meta = parseCheckpointMeta(text, jsonPath);
  const tpath = join(dirname(jsonPath), basename(meta.tensorsFile));
  if (!existsSync(tpath))
    throw new CheckpointError(`checkpoint ${jsonPath}: its tensor file ${tpath} is missing`);
  const tensors = decodeCheckpointTensors(meta, new Uint8Array(readFileSync(tpath)), tpath, sha256);
  return { meta, tensors };
}

/** The newest checkpoint of a run folder (or of a checkpoints folder, or a checkpoint JSON itself). */
export function latestCheckpoint(path: string): string {
  if (path.endsWith('.json') && existsSync(path)) return path;
  const dir = existsSync(join(path, 'checkpoints')) ? join(path, 'checkpoints') : path;
  const all = listCheckpoints(dir);
  if (all.length === 0) throw new CheckpointError(`no checkpoint found in ${dir}`);
  return all[all.length - 1];
}

/** The checkpoints folder of a run folder (or `path` itself when it is one). */
export function checkpointsDir(path: string): string {
  return existsSync(join(path, 'checkpoints')) ? join(path, 'checkpoints') : path;
}

/** A checkpoint passed over while looking for one to load, and why. */
export interface SkippedCheckpoint {
  readonly path: string;
  readonly reason: string;
}

export interface LoadedCheckpoint {
  readonly path: string;
  readonly checkpoint: Checkpoint;
  /** Newer checkpoints that did not verify (newest first). */
  readonly skipped: SkippedCheckpoint[];
}

/** Loads and verifies one checkpoint, and checks that its agent state is finite; throws CheckpointError otherwise. */
export function loadGoodCheckpoint(jsonPath: string): Checkpoint {
  return checkFiniteAgent(loadCheckpoint(jsonPath), jsonPath);
}

/**
 * The checkpoint to continue from or evaluate:
 *   - `path` a checkpoint JSON: that one (it must verify);
 *   - `path` a run or checkpoints folder and `step` given: the checkpoint of that step (it must verify);
 *   - otherwise the newest checkpoint that verifies (hash, format, finite agent state); each newer
 *     one that does not is reported through `warn` with its reason and skipped.
 */
export function findCheckpoint(
  path: string,
  opts: { step?: number; warn?: (line: string) => void } = {},
): LoadedCheckpoint {
  if (path.endsWith('.json')) {
    if (!existsSync(path)) throw new CheckpointError(`checkpoint ${path} does not exist`);
    return { path, checkpoint: loadGoodCheckpoint(path), skipped: [] };
  }
  const dir = checkpointsDir(path);
  const all = listCheckpoints(dir);
  if (all.length === 0) throw new CheckpointError(`no checkpoint found in ${dir}`);
  if (opts.step !== undefined) {
    const want = all.find((f) => basename(f) === `${checkpointStem(opts.step!)}.json`);
    if (!want) {
      const steps = all.map((f) => Number(/ckpt-(\d+)/.exec(basename(f))![1]));
      throw new CheckpointError(
        `no checkpoint at step ${opts.step} in ${dir} (there are: ${steps.join(', ')})`,
      );
    }
    return { path: want, checkpoint: loadGoodCheckpoint(want), skipped: [] };
  }
  const skipped: SkippedCheckpoint[] = [];
  for (const p of [...all].reverse()) {
    try {
      const checkpoint = loadGoodCheckpoint(p);
      return { path: p, checkpoint, skipped };
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      skipped.push({ path: p, reason: e.message });
      opts.warn?.(`skipping checkpoint ${basename(p)}: ${e.message}`);
    }
  }
  throw new CheckpointError(
    `no checkpoint in ${dir} verifies (${skipped.map((s) => s.reason).join('; ')})`,
  );
}
