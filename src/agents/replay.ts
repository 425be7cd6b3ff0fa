/**
 * A preallocated replay buffer (ring) of transitions, with seeded uniform sampling into
 * preallocated batch arrays (sampling allocates nothing).
 */
import type { Rng } from '../engine/index.ts';
import type { Batch } from './types.ts';

export interface ReplayState {
  readonly capacity: number;
  readonly size: number;
  readonly next: number;
}

export class ReplayBuffer {
  readonly obs: Float32Array;
  readonly action: Float32Array;
  readonly reward: Float32Array;
  readonly nextObs: Float32Array;
  readonly terminated: Float32Array;
  private _size = 0;
  private next = 0;
  private batchArrays: { size: number; b: Batch } | null = null;

  constructor(
    readonly capacity: number,
    readonly obsDim: number,
    readonly actDim: number,
  ) {
    if (!(Number.isInteger(capacity) && capacity > 0))
      throw new Error(`ReplayBuffer: capacity must be a positive integer, got ${capacity}`);
    this.obs = new Float32Array(capacity * obsDim);
    this.action = new Float32Array(capacity * actDim);
    this.reward = new Float32Array(capacity);
    this.nextObs = new Float32Array(capacity * obsDim);
    this.terminated = new Float32Array(capacity);
  }

  get size(): number {
    return this._size;
  }

  /** Stores one transition. `terminated` only for true terminal states (not time-limit truncation). */
  add(
    obs: ArrayLike<number>,
    action: ArrayLike<number>,
    reward: number,
    nextObs: ArrayLike<number>,
    terminated: boolean,
  ): void {
    if (
      obs.length !== this.obsDim ||
      nextObs.length !== this.obsDim ||
      action.length !== this.actDim
    ) {
      throw new Error(
        `ReplayBuffer.add: got obs ${obs.length}, action ${action.length}, nextObs ${nextObs.length}; expected ${this.obsDim}/${this.actDim}`,
      );
    }
    const i = this.next;
    this.obs.set(obs, i * this.obsDim);
    this.action.set(action, i * this.actDim);
    this.reward[i] = reward;
    this.nextObs.set(nextObs, i * this.obsDim);
    this.terminated[i] = terminated ? 1 : 0;
    this.next = (i + 1) % this.capacity;
    this._size = Math.min(this._size + 1, this.capacity);
  }

  /** A uniform batch (with replacement). The returned arrays are reused by the next call. */
  sample(batchSize: number, rng: Rng): Batch {
    if (this._size === 0) throw new Error('ReplayBuffer.sample: the buffer is empty');
    if (!this.batchArrays || this.batchArrays.size !== batchSize) {
      this.batchArrays = {
        size: batchSize,
        b: {
          size: batchSize,
          obs: new Float32Array(batchSize * this.obsDim),
          action: new Float32Array(batchSize * this.actDim),
          reward: new Float32Array(batchSize),
          nextObs: new Float32Array(batchSize * this.obsDim),
          terminated: new Float32Array(batchSize),
        },
      };
    }
    const b = this.batchArrays.b;
    const O = this.obsDim;
    const A = this.actDim;
    for (let k = 0; k < batchSize; k++) {
      const i = rng.int(this._size);
      b.obs.set(this.obs.subarray(i * O, i * O + O), k * O);
      b.action.set(this.action.subarray(i * A, i * A + A), k * A);
      b.reward[k] = this.reward[i];
      b.nextObs.set(this.nextObs.subarray(i * O, i * O + O), k * O);
      b.terminated[k] = this.terminated[i];
    }
    return b;
  }

  state(): ReplayState {
    return { capacity: this.capacity, size: this._size, next: this.next };
  }
  /** Restores positions (the arrays are restored separately, e.g. from a checkpoint's tensors). */
  loadState(s: ReplayState): void {
    if (s.capacity !== this.capacity)
      throw new Error(`ReplayBuffer.loadState: capacity ${s.capacity} vs ${this.capacity}`);
    this._size = s.size;
    this.next = s.next;
  }
}
