/**
 * File writing for run folders: atomic rewrites, folder creation that cannot loop, removal of the
 * temporary files a killed process left behind, and a deterministic fault-injection hook.
 *
 * Every file the training loop rewrites (checkpoints, metrics.jsonl on resume, metrics.csv,
 * config.json, run.json) goes through writeFileAtomic: temp file in the same folder, fsync,
 * rename over the target, fsync of the folder. A crash at any point leaves either the old file or
 * the new one, never a truncated mix; what it may leave is a `<name>.tmp-<pid>` file, which
 * removeStaleTemps deletes when the next process starts on the folder.
 *
 * Fault injection (tests only): with RFM_FAULT=POINT:NAME in the environment, the process kills
 * itself with SIGKILL at POINT while writing the file whose base name is NAME (NAME may end in
 * '*' to match a prefix). POINT is 'before-rename' (the temp file is complete and synced, the
 * target untouched) or 'after-rename' (the target is replaced, the folder not yet synced).
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export type FaultPoint = 'before-rename' | 'after-rename';

/** Kills the process (SIGKILL, no cleanup: a power cut as seen by the files) when RFM_FAULT names this point and file. */
export function faultPoint(point: FaultPoint, path: string): void {
  const spec = process.env.RFM_FAULT;
  if (!spec) return;
  const colon = spec.indexOf(':');
  if (colon < 0 || spec.slice(0, colon) !== point) return;
  const name = spec.slice(colon + 1);
  const file = basename(path);
  const hit = name.endsWith('*') ? file.startsWith(name.slice(0, -1)) : file === name;
  if (hit) process.kill(process.pid, 'SIGKILL');
}

/** The temporary name writeFileAtomic uses for `path` in this process. */
const tempName = (path: string) => `${path}.tmp-${process.pid}`;

/** Writes `data` to `path` atomically: temp file in the same folder, fsync, rename, fsync folder. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = tempName(path);
  const fd = openSync(tmp, 'w');
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  faultPoint('before-rename', path);
  renameSync(tmp, path);
  faultPoint('after-rename', path);
  try {
    const dfd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // some platforms cannot fsync a directory; the rename is still atomic
  }
}

/** True when a process with this id exists (signal 0 probes without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes `*.tmp-<pid>` files in `dir` whose writing process no longer runs (left by a kill
 * between write and rename). Returns the names removed.
 */
export function removeStaleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const m = /\.tmp-(\d+)$/.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && processAlive(pid)) continue;
    rmSync(join(dir, n), { force: true });
    removed.push(n);
  }
  return removed;
}

/**
 * Creates `path` and any missing parents one level at a time, so that a parent that refuses
 * children (e.g. under /proc) is an error naming it rather than a retry loop. Throws one line.
 */
export function makeDirs(path: string): void {
  const full = resolve(path);
  const missing: string[] = [];
  let p = full;
  for (;;) {
    let st;
    try {
      st = statSync(p);
    } catch {
      missing.push(p);
      const up = dirname(p);
      if (up === p) break;
      p = up;
      continue;
    }
    if (!st.isDirectory()) throw new Error(`cannot create folder ${full}: ${p} is not a folder`);
    break;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      throw new Error(`cannot create folder ${dir} (${code ?? (e as Error).message})`);
    }
  }
}

/**
 * Checks, without creating anything, that `path` could be created as a folder (or is one) and
 * written to: its nearest existing ancestor is a writable folder. Throws one line otherwise.
 */
export function checkCreatableDir(path: string): void {
  const full = resolve(path);
  let p = full;
  for (;;) {
    let st;
    try {
      st = statSync(p);
    } catch {
      const up = dirname(p);
      if (up === p) throw new Error(`cannot create folder ${full}: no existing parent`);
      p = up;
      continue;
    }
    if (!st.isDirectory()) throw new Error(`cannot create folder ${full}: ${p} is not a folder`);
    break;
  }
  // Probe by creating and removing a folder: access(W_OK) says yes for root on read-only or
  // pseudo file systems (/proc), where mkdir then fails.
  const probe = join(p, `.rfm-probe-${process.pid}`);
  try {
    mkdirSync(probe);
  } catch (e) {
    throw new Error(
      `cannot write in ${p} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  rmSync(probe, { recursive: true, force: true });
}
