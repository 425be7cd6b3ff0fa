/**
 * Scalar definitions shared by the TypeScript backend: each op's value and derivative.
 * The native backend implements the same formulas in C++ (native/src/); the two are tested
 * against each other.
 *
 * GELU is the tanh approximation, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), the form the
 * reference implementation (flax's default) uses.
 */
import type { Activation, BinaryOp, UnaryOp } from './backend.ts';

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;
const LOG2 = Math.LN2;

/** log(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
export function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(GELU_C * (x + GELU_A * x * x * x)));
}
function geluGrad(x: number): number {
  const th = Math.tanh(GELU_C * (x + GELU_A * x * x * x));
  return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * GELU_C * (1 + 3 * GELU_A * x * x);
}

export function unaryValue(op: UnaryOp, x: number, p0: number, p1: number): number {
  switch (op) {
    case 'neg':
      return -x;
    case 'exp':
      return Math.exp(x);
    case 'log':
      return Math.log(x);
    case 'log1p':
      return Math.log1p(x);
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return sigmoid(x);
    case 'softplus':
      return softplus(x);
    case 'relu':
      return x > 0 ? x : 0;
    case 'gelu':
      return gelu(x);
    case 'silu':
      return x * sigmoid(x);
    case 'mish':
      return x * Math.tanh(softplus(x));
    case 'sin':
      return Math.sin(x);
    case 'cos':
      return Math.cos(x);
    case 'square':
      return x * x;
    case 'sqrt':
      return Math.sqrt(x);
    case 'abs':
      return Math.abs(x);
    case 'recip':
      return 1 / x;
    // log cosh x = |x| + log1p(e^{-2|x|}) - log 2, stable for large |x|
    case 'logcosh': {
      const a = Math.abs(x);
      return a + Math.log1p(Math.exp(-2 * a)) - LOG2;
    }
    case 'powscalar':
      return Math.pow(x, p0);
    case 'clamp':
      return x < p0 ? p0 : x > p1 ? p1 : x;
    case 'sign':
      return x > 0 ? 1 : x < 0 ? -1 : 0;
  }
}

/** d f / d x at x, given y = f(x). */
export function unaryDerivative(op: UnaryOp, x: number, y: number, p0: number, p1: number): number {
  switch (op) {
    case 'neg':
      return -1;
    case 'exp':
      return y;
    case 'log':
      return 1 / x;
    case 'log1p':
      return 1 / (1 + x);
    case 'tanh':
      return 1 - y * y;
    case 'sigmoid':
      return y * (1 - y);
    case 'softplus':
      return sigmoid(x);
    // NOTE: relu'(0) = 0 (as PyTorch and JAX)
    case 'relu':
      return x > 0 ? 1 : 0;
    case 'gelu':
      return geluGrad(x);
    case 'silu': {
      const s = sigmoid(x);
      return s + x * s * (1 - s);
    }
    case 'mish': {
      const t = Math.tanh(softplus(x));
      return t + x * (1 - t * t) * sigmoid(x);
    }
    case 'sin':
      return Math.cos(x);
    case 'cos':
      return -Math.sin(x);
    case 'square':
      return 2 * x;
    case 'sqrt':
      return 0.5 / y;
    case 'abs':
      return x > 0 ? 1 : x < 0 ? -1 : 0;
    case 'recip':
      return -y * y;
    case 'logcosh':
      return Math.tanh(x);
    case 'powscalar':
      return p0 === 0 ? 0 : p0 * Math.pow(x, p0 - 1);
    // NOTE: the gradient passes at the bounds themselves (as PyTorch's clamp)
    case 'clamp':
      return x >= p0 && x <= p1 ? 1 : 0;
    case 'sign':
      return 0;
  }
}

export function binaryValue(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'mul':
      return a * b;
    case 'div':
      return a / b;
    case 'pow':
      return Math.pow(a, b);
    case 'minimum':
      return a < b ? a : b;
    case 'maximum':
      return a > b ? a : b;
    case 'gt':
      return a > b ? 1 : 0;
    case 'ge':
      return a >= b ? 1 : 0;
    case 'lt':
      return a < b ? 1 : 0;
    case 'le':
      return a <= b ? 1 : 0;
    case 'eq':
      return a === b ? 1 : 0;
  }
}

export function activationValue(act: Activation, z: number): number {
  return act === 'none' ? z : unaryValue(act, z, 0, 0);
}
export function activationDerivative(act: Activation, z: number, y: number): number {
  return act === 'none' ? 1 : unaryDerivative(act, z, y, 0, 0);
}
