/**
 * The checkpoint format without a file system: encoding a checkpoint into its two halves (the
 * safetensors bytes and the JSON text that names and hashes them) and decoding and verifying a
 * pair. ./checkpoint.ts writes and reads them as files in a run folder (Node); a page keeps them in
 * memory and offers them as a download. The layout is described in ./checkpoint.ts.
 */
import { decodeSafetensors, encodeSafetensors, type NamedArray } from '../nn/safetensors.ts';
import { checkAgentTensors } from './guard.ts';
import { sha256Hex } from './sha256.ts';

export const CHECKPOINT_FORMAT = 'rfm-rl/checkpoint';
export const CHECKPOINT_VERSION = 1;

/** The JSON half of a checkpoint (the tensor half is a name -> array map). */
export interface CheckpointMeta {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: number;
  readonly step: number;
  readonly algo: string;
  readonly envId: string;
  readonly seed: number;
  /** File name of the tensors, next to this JSON. */
  readonly tensorsFile: string;
  /** SHA-256 (hex) of the tensors file. */
  readonly sha256: string;
  readonly bytes: number;
  /** Agent.state().json */
  readonly agent: Record<string, unknown>;
  /** Everything else the loop needs to continue exactly (see LoopState in ./loop-core.ts). */
  readonly loop: Record<string, unknown>;
}

/** What the caller of saveCheckpoint / encodeCheckpoint provides (the rest is derived). */
export type CheckpointInput = Omit<
  CheckpointMeta,
  'format' | 'version' | 'tensorsFile' | 'sha256' | 'bytes'
>;

export interface Checkpoint {
  readonly meta: CheckpointMeta;
  readonly tensors: Map<string, NamedArray>;
}

/** A checkpoint file is missing, truncated or fails its checksum (the run folder is left as it was). */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** A hex SHA-256 of bytes (node:crypto under Node, ./sha256.ts elsewhere; they agree). */
export type Hasher = (bytes: Uint8Array) => string;

/** The file stem of the checkpoint at `step`: ckpt-000001000. */
export function checkpointStem(step: number): string {
  return `ckpt-${String(step).padStart(9, '0')}`;
}

/** A checkpoint encoded: the tensor file's bytes and the JSON text (written last: the commit point). */
export interface EncodedCheckpoint {
  readonly stem: string;
  readonly meta: CheckpointMeta;
  readonly tensorBytes: Uint8Array;
  readonly jsonText: string;
}

export function encodeCheckpoint(
  meta: CheckpointInput,
  tensors: Map<string, NamedArray>,
  hash: Hasher = sha256Hex,
): EncodedCheckpoint {
  const stem = checkpointStem(meta.step);
  const tensorBytes = encodeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    step: String(meta.step),
  });
  const full: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    ...meta,
    tensorsFile: `${stem}.safetensors`,
    sha256: hash(tensorBytes),
    bytes: tensorBytes.length,
  };
  return { stem, meta: full, tensorBytes, jsonText: JSON.stringify(full, null, 1) + '\n' };
}

/** Parses and checks the JSON half (`name` is how errors call it); throws CheckpointError. */
export function parseCheckpointMeta(jsonText: string, name: string): CheckpointMeta {
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(jsonText);
  } catch (e) {
    throw new CheckpointError(
      `checkpoint ${name} is unreadable or not valid JSON (${(e as Error).message})`,
    );
  }
  if (meta === null || typeof meta !== 'object' || meta.format !== CHECKPOINT_FORMAT)
    throw new CheckpointError(
      `${name} is not an rfm-rl checkpoint (format '${String(meta?.format)}')`,
    );
  if (meta.version !== CHECKPOINT_VERSION)
    throw new CheckpointError(
      `${name}: checkpoint version ${meta.version} is not supported (this build reads ${CHECKPOINT_VERSION})`,
    );
  return meta;
}

/** Verifies the tensor half against its recorded size and hash (`name`: how errors call it) and decodes it. */
export function decodeCheckpointTensors(
  meta: CheckpointMeta,
  bytes: Uint8Array,
  name: string,
  hash: Hasher = sha256Hex,
): Map<string, NamedArray> {
  const got = hash(bytes);
  if (got !== meta.sha256 || bytes.length !== meta.bytes) {
    throw new CheckpointError(
      `checkpoint ${name} is corrupted: ${bytes.length} bytes with SHA-256 ${got.slice(0, 16)}..., expected ${meta.bytes} bytes with ${meta.sha256.slice(0, 16)}... (modified or truncated since it was written)`,
    );
  }
  try {
    return decodeSafetensors(bytes).tensors;
  } catch (e) {
    throw new CheckpointError(`checkpoint ${name}: ${(e as Error).message}`);
  }
}

/** Throws CheckpointError when the checkpoint's agent state is not finite (`name`: how the error calls it). */
export function checkFiniteAgent(ck: Checkpoint, name: string): Checkpoint {
  const bad = checkAgentTensors(withPrefix(ck.tensors, 'agent'), Infinity);
  if (bad)
    throw new CheckpointError(
      `checkpoint ${name} holds a non-finite agent state (${bad.quantity} ${bad.reason})`,
    );
  return ck;
}

/** The entries of `tensors` under `prefix.`, with the prefix removed. */
export function withPrefix(
  tensors: ReadonlyMap<string, NamedArray>,
  prefix: string,
): Map<string, NamedArray> {
  const p = prefix + '.';
  return new Map(
    [...tensors].filter(([k]) => k.startsWith(p)).map(([k, v]) => [k.slice(p.length), v]),
  );
}
