/**
 * Gradients of a regression loss through a whole network in one backend call, for training steps
 * that need nothing else from the tape: scale * mean((f(x) - target)^2) for a chain f of layers,
 * with every layer's weight and bias gradient accumulated into its `.grad` (as backward() of the
 * composed loss would). Backends without the kernel, and chains it does not take, return null:
 * the caller composes the loss and calls backward().
 */
import { type MlpLayer, type Tensor, full } from '../engine/index.ts';

export function mseGradients(
  chain: readonly MlpLayer[],
  x: Tensor,
  target: Tensor,
  scale = 1,
  pred: Tensor | null = null,
): number | null {
  const be = x.backend;
  const kernel = be.mlpMseGrads;
  if (!kernel || x.rank !== 2 || chain.length === 0 || chain.length > 12) return null;
  const M = x.shape[0];
  let width = x.shape[1];
  for (const l of chain) {
    const [out, inp] = l.weight.shape;
    const b = l.bias;
    if (
      l.weight.rank !== 2 ||
      inp !== width ||
      l.weight.backend !== be ||
      (b && (b.rank !== 1 || b.shape[0] !== out || b.backend !== be))
    )
      return null;
    if (l.residual && (inp !== out || l.act === 'tanh' || l.act === 'sigmoid')) return null;
    width = out;
  }
  if (
    target.size !== M * width ||
    target.backend !== be ||
    (pred && (pred.size !== M * width || pred.backend !== be))
  )
    return null;
  const gradOf = (p: Tensor | null) => {
    if (!p || !p.requiresGrad) return null;
    if (!p.grad) p.grad = full(p.shape, 0, be).keep();
    return p.grad.storage;
  };
  return kernel.call(
    be,
    x.storage,
    target.storage,
    pred ? pred.storage : null,
    M,
    chain.map((l) => ({
      w: l.weight.storage,
      bias: l.bias ? l.bias.storage : null,
      in: l.weight.shape[1],
      out: l.weight.shape[0],
      act: l.act,
      residual: !!l.residual,
      biasGroups: 1,
      gw: gradOf(l.weight),
      gb: gradOf(l.bias),
    })),
    scale,
  );
}
