/**
 * Reading training run folders (read-only), shared by `rfm plot` and `rfm dashboard`.
 *
 * A run folder holds some of:
 *   config.json        what was run; the algorithm, task and seed are read from it (see `runMeta`)
 *   run.json           (rfm train) algo, envId, seed: read where config.json lacks them
 *   metrics.jsonl      one JSON object per line with flat namespaced keys ('step', 'eval/return',
 *                      'loss/critic', 'rfm/ess', ...); a partly written last line is ignored
 *   metrics.csv        the same rows as CSV (read only when there is no metrics.jsonl)
 *   *.samples.json     2-D point sets (see ./samples.ts), e.g. from `rfm sample-energy`
 *   *.rollout.json     recorded MuJoCo rollouts (see ./rollout-record.ts)
 *   checkpoints/       agent checkpoints (not read here)
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';

export type MetricRow = Record<string, number>;

export interface RunMeta {
  /** The folder, absolute. */
  dir: string;
  /** Path relative to the runs root (with '/' separators); '.' for the root itself. */
  id: string;
  algo: string;
  env: string;
  seed: number | null;
  /** The parsed config.json, or null. */
  config: Record<string, unknown> | null;
}

const ALGO_KEYS = ['algo', 'algorithm', 'agent'];
const ENV_KEYS = ['env', 'envId', 'env_id', 'task', 'environment'];
const SEED_KEYS = ['seed'];

/** The first string (or number, for the seed) found under one of `keys`, at the top level or one level down. */
function pick(obj: Record<string, unknown> | null, keys: string[]): unknown {
  if (!obj) return undefined;
  for (const k of keys) if (obj[k] !== undefined && typeof obj[k] !== 'object') return obj[k];
  for (const v of Object.values(obj)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      for (const k of keys) if (o[k] !== undefined && typeof o[k] !== 'object') return o[k];
    }
  }
  return undefined;
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Algorithm, task and seed of a run folder, from config.json, else run.json (keys algo/algorithm/agent,
 * env/envId/task, seed, at the top level or inside one nested object), else guessed from the folder
 * name ('sac-Hopper-v5-seed3' style names give the seed), else 'unknown'.
 */
export function runMeta(dir: string, root = dir): RunMeta {
  const config = readJson(join(dir, 'config.json'));
  const info = readJson(join(dir, 'run.json')); // rfm train also writes the run's identity here
  const name = basename(dir);
  const algo = pick(config, ALGO_KEYS) ?? pick(info, ALGO_KEYS);
  const env = pick(config, ENV_KEYS) ?? pick(info, ENV_KEYS);
  let seed: unknown = pick(config, SEED_KEYS) ?? pick(info, SEED_KEYS);
  if (seed === undefined) {
    const m = /seed[-_]?(\d+)/i.exec(name);
    if (m) seed = Number(m[1]);
  }
  const rel = relative(root, dir).split(sep).join('/');
  return {
    dir,
    id: rel === '' ? '.' : rel,
    algo: algo !== undefined ? String(algo) : 'unknown',
    env: env !== undefined ? String(env) : 'unknown',
    seed:
      typeof seed === 'number'
        ? seed
        : typeof seed === 'string' && seed.trim() !== '' && Number.isFinite(Number(seed))
          ? Number(seed)
          : null,
    config,
  };
}

/** Parses metrics.jsonl text: one object per line; blank, malformed or non-object lines are skipped. Only numeric values are kept. */
export function parseMetricsJsonl(text: string): MetricRow[] {
  const rows: MetricRow[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch {
      continue;
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) continue;
    const row: MetricRow = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>))
      if (typeof x === 'number') row[k] = x;
    rows.push(row);
  }
  return rows;
}

/** Parses metrics.csv text: a header row of keys, then numbers (empty cells are absent). */
export function parseMetricsCsv(text: string): MetricRow[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const head = lines[0].split(',').map((h) => h.trim().replace(/^"|"$/g, ''));
  const rows: MetricRow[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    if (cells.length !== head.length) continue;
    const row: MetricRow = {};
    cells.forEach((c, i) => {
      const s = c.trim();
      if (s !== '' && Number.isFinite(Number(s))) row[head[i]] = Number(s);
    });
    rows.push(row);
  }
  return rows;
}

/** The metric rows of a run folder (metrics.jsonl, else metrics.csv; none: empty). */
export function readMetrics(dir: string): MetricRow[] {
  const jl = join(dir, 'metrics.jsonl');
  if (existsSync(jl)) return parseMetricsJsonl(readFileSync(jl, 'utf8'));
  const csv = join(dir, 'metrics.csv');
  if (existsSync(csv)) return parseMetricsCsv(readFileSync(csv, 'utf8'));
  return [];
}

/** (step, value) pairs of one metric, in file order; rows without either key are skipped. */
export function metricSeries(
  rows: readonly MetricRow[],
  metric: string,
  stepKey = 'step',
): [number, number][] {
  const out: [number, number][] = [];
  for (const r of rows) {
    const x = r[stepKey];
    const y = r[metric];
    if (Number.isFinite(x) && Number.isFinite(y)) out.push([x, y]);
  }
  return out;
}

/** Whether a folder looks like a run: it has config.json, metrics, samples or rollouts. */
export function isRunDir(dir: string): boolean {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return false;
  }
  return names.some(
    (n) =>
      n === 'config.json' ||
      n === 'run.json' ||
      n === 'metrics.jsonl' ||
      n === 'metrics.csv' ||
      n.endsWith('.samples.json') ||
      n.endsWith('.rollout.json'),
  );
}

/** Run folders under `root` (the root itself included), down to `maxDepth` levels; checkpoints/ and hidden folders are not entered. Sorted by id. */
export function findRuns(root: string, maxDepth = 4): RunMeta[] {
  const abs = resolve(root);
  const out: RunMeta[] = [];
  const walk = (dir: string, depth: number) => {
    if (isRunDir(dir)) out.push(runMeta(dir, abs));
    if (depth >= maxDepth) return;
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (
        !e.isDirectory() ||
        e.name.startsWith('.') ||
        e.name === 'checkpoints' ||
        e.name === 'node_modules'
      )
        continue;
      walk(join(dir, e.name), depth + 1);
    }
  };
  walk(abs, 0);
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function globToRegExp(seg: string): RegExp {
  let re = '';
  for (const ch of seg) {
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Expands a path pattern with `*`, `?` (within one path segment) and `**` (any number of folders)
 * into the existing paths it matches, sorted. A pattern without wildcards is returned as is when it exists.
 */
export function expandGlob(pattern: string): string[] {
  if (!/[*?]/.test(pattern)) return existsSync(pattern) ? [pattern] : [];
  const absolute = pattern.startsWith('/');
  const segs = pattern.split('/').filter((s) => s !== '' && s !== '.');
  const results = new Set<string>();
  const step = (base: string, i: number) => {
    if (i === segs.length) {
      if (existsSync(base || '.')) results.add(base || '.');
      return;
    }
    const seg = segs[i];
    const dir = base || (absolute ? '/' : '.');
    const join2 = (name: string) => (base ? `${base}/${name}` : absolute ? `/${name}` : name);
    if (seg === '**') {
      step(base, i + 1);
      let entries: import('node:fs').Dirent[] = [];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries)
        if (e.isDirectory() && !e.name.startsWith('.')) step(join2(e.name), i);
      return;
    }
    if (!/[*?]/.test(seg)) {
      step(join2(seg), i + 1);
      return;
    }
    const re = globToRegExp(seg);
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names.sort())
      if (re.test(n) && (!n.startsWith('.') || seg.startsWith('.'))) step(join2(n), i + 1);
  };
  step('', 0);
  return [...results].sort();
}

/**
 * The run folders named by command-line arguments: each argument is a run folder, a folder of runs
 * (searched with `findRuns`), or a glob of either. Duplicates are dropped. Throws naming an argument that matches nothing.
 */
export function resolveRunArgs(args: readonly string[]): RunMeta[] {
  const seen = new Map<string, RunMeta>();
  for (const a of args) {
    const paths = expandGlob(a);
    if (paths.length === 0) throw new Error(`no run folder matches '${a}'`);
    let found = 0;
    for (const p of paths) {
      if (!statSync(p).isDirectory()) continue;
      for (const r of findRuns(p)) {
        if (!seen.has(r.dir)) {
          seen.set(r.dir, { ...r, id: relative(process.cwd(), r.dir) || '.' });
          found++;
        } else found++;
      }
    }
    if (found === 0)
      throw new Error(`'${a}' holds no run folder (a folder with config.json or metrics.jsonl)`);
  }
  return [...seen.values()];
}
