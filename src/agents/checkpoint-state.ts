/**
 * Helpers that put modules and optimisers into an AgentState (named tensors + JSON) and back, so
 * each agent's state()/loadState() is a short list of what it owns. Names are dotted paths:
 * `<prefix>.<parameter name>` for modules, `<prefix>.mu.<i>` / `<prefix>.nu.<i>` for Adam moments.
 */
import type { Tensor } from '../engine/index.ts';
import type { Adam, Module, NamedArray } from '../nn/index.ts';

export function putModule(out: Map<string, NamedArray>, prefix: string, m: Module): void {
  for (const [k, v] of m.stateDict()) out.set(`${prefix}.${k}`, v);
}

export function loadModule(from: ReadonlyMap<string, NamedArray>, prefix: string, m: Module): void {
  const p = prefix + '.';
  m.loadStateDict(
    new Map([...from].filter(([k]) => k.startsWith(p)).map(([k, v]) => [k.slice(p.length), v])),
  );
}

/** Stores the moments as tensors; returns the step count (for the JSON part). */
export function putAdam(out: Map<string, NamedArray>, prefix: string, o: Adam): number {
  const s = o.state();
  s.mu.forEach((a, i) => out.set(`${prefix}.mu.${i}`, { data: a, shape: [a.length] }));
  s.nu.forEach((a, i) => out.set(`${prefix}.nu.${i}`, { data: a, shape: [a.length] }));
  return s.count;
}

export function loadAdam(
  from: ReadonlyMap<string, NamedArray>,
  prefix: string,
  o: Adam,
  count: number,
  who: string,
): void {
  const get = (k: string) => {
    const v = from.get(k);
    if (!v) throw new Error(`${who}.loadState: missing tensor '${k}'`);
    return v.data;
  };
  const n = o.params.length;
  o.loadState({
    count,
    mu: Array.from({ length: n }, (_, i) => get(`${prefix}.mu.${i}`)),
    nu: Array.from({ length: n }, (_, i) => get(`${prefix}.nu.${i}`)),
  });
}

export function putTensor(out: Map<string, NamedArray>, name: string, t: Tensor): void {
  out.set(name, { data: t.toArray(), shape: [...t.shape] });
}

export function loadTensor(
  from: ReadonlyMap<string, NamedArray>,
  name: string,
  t: Tensor,
  who: string,
): void {
  const v = from.get(name);
  if (!v || v.data.length !== t.size)
    throw new Error(`${who}.loadState: missing or mis-sized tensor '${name}'`);
  t.backend.write(t.storage, v.data);
}

/** Checks that a state was written by the same kind of agent. */
export function checkAlgoOf(json: Record<string, unknown>, algo: string): void {
  if (json.algo !== algo)
    throw new Error(
      `${algo}.loadState: the state belongs to '${String(json.algo)}', not '${algo}'`,
    );
}
