/**
 * A lock per run folder, so that no two processes (on one machine or on several sharing the output
 * root) train the same run at once. The lock is a file created exclusively (`wx`) in the run
 * folder, holding who took it; its holder touches it every few seconds.
 *
 * A lock is stale, and may be taken over, when its holder is gone: on the same host, when none of
 * its recorded processes (the worker and its `rfm train` child) is alive; on another host, when
 * the file has not been touched for `staleMs`.
 */
import {
  closeSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { processAlive } from '../train/files.ts';

export const LOCK_FILE = '.sweep-lock';

interface LockBody {
  host: string;
  pids: number[];
  token: string;
  since: string;
}

export class RunLock {
  private timer: NodeJS.Timeout | null = null;
  private constructor(
    readonly path: string,
    private body: LockBody,
  ) {}

  /** Takes the lock of `runDir` (which must exist), or returns null when a live holder has it. */
  static acquire(runDir: string, staleMs = 60_000): RunLock | null {
    const path = join(runDir, LOCK_FILE);
    const body: LockBody = {
      host: hostname(),
      pids: [process.pid],
      token: randomBytes(8).toString('hex'),
      since: new Date().toISOString(),
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        try {
          writeSync(fd, JSON.stringify(body));
        } finally {
          closeSync(fd);
        }
        const lock = new RunLock(path, body);
        lock.timer = setInterval(() => lock.touch(), Math.max(1000, Math.floor(staleMs / 6)));
        lock.timer.unref();
        return lock;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      if (!RunLock.isStale(path, staleMs)) return null;
      // Move the stale lock aside (only one contender's rename succeeds), then retry the create.
      try {
        renameSync(path, `${path}.stale-${body.token}`);
        rmSync(`${path}.stale-${body.token}`, { force: true });
      } catch {
        // another process moved it first
      }
    }
    return null;
  }

  /** Whether the lock file at `path` belongs to no live holder. */
  static isStale(path: string, staleMs: number): boolean {
    let held: LockBody;
    let mtime: number;
    try {
      held = JSON.parse(readFileSync(path, 'utf8')) as LockBody;
      mtime = statSync(path).mtimeMs;
    } catch {
      // unreadable or half-written: stale only once it is old
      try {
        return Date.now() - statSync(path).mtimeMs > staleMs;
      } catch {
        return true;
      }
    }
    if (held.host === hostname() && Array.isArray(held.pids))
      return !held.pids.some((p) => Number.isInteger(p) && processAlive(p));
    return Date.now() - mtime > staleMs;
  }

  /** Records one more process of the holder (the training child), so the lock lives as long as it does. */
  addPid(pid: number): void {
    this.body = { ...this.body, pids: [...this.body.pids, pid] };
    writeFileSync(this.path, JSON.stringify(this.body));
  }

  private touch(): void {
    const now = new Date();
    try {
      utimesSync(this.path, now, now);
    } catch {
      // the folder went away; release() will find nothing to remove
    }
  }

  /** Removes the lock if it is still ours. */
  release(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    try {
      const held = JSON.parse(readFileSync(this.path, 'utf8')) as LockBody;
      if (held.token === this.body.token) rmSync(this.path, { force: true });
    } catch {
      // already gone
    }
  }
}
