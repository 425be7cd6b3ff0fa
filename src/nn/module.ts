/**
 * Modules: named parameter containers with a forward function. Parameters are leaf tensors
 * (requiresGrad, kept out of tidy scopes); names are dotted paths ('body.0.weight'), the keys
 * of checkpoints in the safetensors format.
 */
import { type Tensor, type Backend, getBackend } from '../engine/index.ts';

export abstract class Module {
  private readonly _params = new Map<string, Tensor>();
  private readonly _children = new Map<string, Module>();

  /** Registers a parameter tensor (marks it as a kept leaf that requires gradients). */
  protected param(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    t.keep();
    t.name = name;
    this._params.set(name, t);
    return t;
  }
  protected child<M extends Module>(name: string, m: M): M {
    this._children.set(name, m);
    return m;
  }

  /** All parameters with their dotted names, in registration order. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this._params) out.push([prefix + n, t]);
    for (const [n, c] of this._children) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }
  /** Number of scalar parameters. */
  parameterCount(): number {
    return this.parameters().reduce((a, t) => a + t.size, 0);
  }

  /** Host copies of every parameter, by name. */
  stateDict(): Map<string, { data: Float32Array; shape: number[] }> {
    return new Map(
      this.namedParameters().map(([n, t]) => [n, { data: t.toArray(), shape: [...t.shape] }]),
    );
  }
  /** Loads values by name; every parameter must be present with its exact shape. */
  loadStateDict(state: Map<string, { data: Float32Array; shape: readonly number[] }>): void {
    for (const [n, t] of this.namedParameters()) {
      const s = state.get(n);
      if (!s) throw new Error(`loadStateDict: missing parameter '${n}'`);
      if (s.shape.length !== t.shape.length || s.shape.some((d, i) => d !== t.shape[i])) {
        throw new Error(
          `loadStateDict: parameter '${n}' has shape [${s.shape}] in the file, [${t.shape}] in the module`,
        );
      }
      t.backend.write(t.storage, s.data);
    }
  }
  /** Copies parameter values from a module of the same structure. */
  copyFrom(other: Module): void {
    const src = new Map(other.namedParameters());
    for (const [n, t] of this.namedParameters()) {
      const s = src.get(n);
      if (!s || s.size !== t.size)
        throw new Error(`copyFrom: parameter '${n}' missing or of another size`);
      t.backend.scale(s.storage, 1, t.storage);
    }
  }
  /** Clears accumulated gradients. */
  zeroGrad(): void {
    for (const t of this.parameters()) if (t.grad) t.backend.fill(t.grad.storage, 0);
  }
}

export function defaultBackend(b?: Backend): Backend {
  return b ?? getBackend();
}
