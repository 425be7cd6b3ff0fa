// Node-API glue: each export unpacks Float32Arrays and numbers, checks that every access stays
// inside the arrays (a wrong length must throw, never corrupt memory), and calls a kernel.
// Nothing here creates JS objects on the success path (sumSquares returns a number).
#include <js_native_api.h>
#include <node_api.h>

#include <cstdio>
#include <cmath>
#include <string>
#include <vector>

#include "common.h"

namespace {

// the kernels of the instruction-set tier in use (set at load, see Init)
const rfm::Kernels* tier = nullptr;

constexpr size_t MAX_ARGS = 32;

struct Args {
  napi_env env;
  napi_value v[MAX_ARGS];
  size_t n = MAX_ARGS;
  bool failed = false;

  Args(napi_env e, napi_callback_info info) : env(e) {
    if (napi_get_cb_info(e, info, &n, v, nullptr, nullptr) != napi_ok) fail("bad call");
  }
  void fail(const char* msg) {
    if (!failed) napi_throw_error(env, "ERR_RFM_NATIVE", msg);
    failed = true;
  }
  /** Float32Array argument i (null allowed when nullable); its length goes to *len. */
  float* f32(size_t i, size_t* len, bool nullable = false) {
    *len = 0;
    if (failed) return nullptr;
    if (i >= n) {
      fail("missing argument");
      return nullptr;
    }
    return f32_of(v[i], len, nullable);
  }
  /** The Float32Array value (null allowed when nullable); its length goes to *len. */
  float* f32_of(napi_value val, size_t* len, bool nullable) {
    *len = 0;
    if (failed) return nullptr;
    napi_valuetype t;
    napi_typeof(env, val, &t);
    if (nullable && (t == napi_null || t == napi_undefined)) return nullptr;
    napi_typedarray_type tt;
    size_t length = 0;
    void* data = nullptr;
    if (napi_get_typedarray_info(env, val, &tt, &length, &data, nullptr, nullptr) != napi_ok || tt != napi_float32_array) {
      fail("expected a Float32Array argument");
      return nullptr;
    }
    *len = length;
    // an empty typed array may have a null data pointer: give kernels a harmless one
    static float dummy[1];
    return length ? static_cast<float*>(data) : dummy;
  }
  double num(size_t i) {
    double d = 0;
    if (failed) return 0;
    if (i >= n || napi_get_value_double(env, v[i], &d) != napi_ok) fail("expected a number argument");
    return d;
  }
  long integer(size_t i) {
    int64_t d = 0;
    if (failed) return 0;
    if (i >= n || napi_get_value_int64(env, v[i], &d) != napi_ok) fail("expected an integer argument");
    return (long)d;
  }
  bool flag(size_t i) {
    bool b = false;
    if (failed) return false;
    if (i >= n || napi_get_value_bool(env, v[i], &b) != napi_ok) fail("expected a boolean argument");
    return b;
  }
  const int32_t* i32(size_t i, size_t* len) {
    *len = 0;
    if (failed) return nullptr;
    napi_typedarray_type tt;
    size_t length = 0;
    void* data = nullptr;
    if (i >= n || napi_get_typedarray_info(env, v[i], &tt, &length, &data, nullptr, nullptr) != napi_ok ||
        tt != napi_int32_array) {
      fail("expected an Int32Array argument");
      return nullptr;
    }
    *len = length;
    return static_cast<const int32_t*>(data);
  }
  bool check(bool ok, const char* msg) {
    if (!ok) fail(msg);
    return ok && !failed;
  }
};

napi_value undef(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// fill(out, value)
napi_value Fill(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t n;
  float* out = a.f32(0, &n);
  float v = (float)a.num(1);
  if (!a.failed) tier->fill(out, (long)n, v);
  return undef(env);
}

// unary(op, x, out, p0, p1)
napi_value Unary(napi_env env, napi_callback_info info) {
  Args a(env, info);
  long op = a.integer(0);
  size_t nx, no;
  float* x = a.f32(1, &nx);
  float* out = a.f32(2, &no);
  double p0 = a.num(3), p1 = a.num(4);
  if (a.check(op >= 0 && op < rfm::U_COUNT, "unary: bad op") && a.check(no >= nx, "unary: output too short"))
    tier->unary((int)op, x, out, (long)nx, (float)p0, (float)p1);
  return undef(env);
}

// unaryBackward(op, x, y, gy, gx, p0, p1)
napi_value UnaryBackward(napi_env env, napi_callback_info info) {
  Args a(env, info);
  long op = a.integer(0);
  size_t nx, ny, ng, no;
  float* x = a.f32(1, &nx);
  float* y = a.f32(2, &ny);
  float* gy = a.f32(3, &ng);
  float* gx = a.f32(4, &no);
  double p0 = a.num(5), p1 = a.num(6);
  if (a.check(op >= 0 && op < rfm::U_COUNT, "unaryBackward: bad op") &&
      a.check(ny >= nx && ng >= nx && no >= nx, "unaryBackward: arrays too short"))
    tier->unary_backward((int)op, x, y, gy, gx, (long)nx, (float)p0, (float)p1);
  return undef(env);
}

/**
 * Reads a walk from meta = [nd, shape..., then per view: offset, strides...] and checks that
 * each view stays within its array (lens[v]); the output, if any, is contiguous of the shape's size.
 */
bool read_walk(Args& a, size_t argi, int nviews, const size_t* lens, rfm::Walk& w, long* size) {
  size_t mlen;
  const int32_t* m = a.i32(argi, &mlen);
  if (a.failed) return false;
  if (!a.check(mlen >= 1 && m[0] >= 0 && m[0] <= rfm::MAX_DIMS, "walk: bad rank")) return false;
  w.nd = m[0];
  if (!a.check(mlen >= (size_t)(1 + w.nd + nviews * (1 + w.nd)), "walk: meta too short")) return false;
  long sz = 1;
  for (int d = 0; d < w.nd; d++) {
    w.shape[d] = m[1 + d];
    if (!a.check(w.shape[d] >= 0, "walk: negative dimension")) return false;
    sz *= w.shape[d];
  }
  *size = sz;
  for (int v = 0; v < nviews; v++) {
    const int32_t* p = m + 1 + w.nd + v * (1 + w.nd);
    w.off[v] = p[0];
    long lo = p[0], hi = p[0];
    for (int d = 0; d < w.nd; d++) {
      w.stride[v][d] = p[1 + d];
      if (w.shape[d] > 0) {
        const long ext = (w.shape[d] - 1) * (long)p[1 + d];
        if (ext < 0) lo += ext;
        else hi += ext;
      }
    }
    if (sz > 0 && !a.check(lo >= 0 && hi < (long)lens[v], "strided view out of range of its storage")) return false;
  }
  return true;
}

// binary(op, a, b, out, meta)
napi_value Binary(napi_env env, napi_callback_info info) {
  Args a(env, info);
  long op = a.integer(0);
  size_t lens[2], no;
  float* x = a.f32(1, &lens[0]);
  float* y = a.f32(2, &lens[1]);
  float* out = a.f32(3, &no);
  rfm::Walk w;
  long size = 0;
  if (!a.failed && a.check(op >= 0 && op < rfm::B_COUNT, "binary: bad op") && read_walk(a, 4, 2, lens, w, &size) &&
      a.check(size <= (long)no, "binary: output too short"))
    tier->binary((int)op, x, y, out, w);
  return undef(env);
}

// where(cond, a, b, out, meta)
napi_value Where(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t lens[3], no;
  float* c = a.f32(0, &lens[0]);
  float* x = a.f32(1, &lens[1]);
  float* y = a.f32(2, &lens[2]);
  float* out = a.f32(3, &no);
  rfm::Walk w;
  long size = 0;
  if (!a.failed && read_walk(a, 4, 3, lens, w, &size) && a.check(size <= (long)no, "where: output too short"))
    tier->where(c, x, y, out, w);
  return undef(env);
}

// copy(src, dst, meta, accumulate)
napi_value Copy(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t lens[2];
  float* s = a.f32(0, &lens[0]);
  float* d = a.f32(1, &lens[1]);
  bool acc = a.flag(3);
  rfm::Walk w;
  long size = 0;
  if (!a.failed && read_walk(a, 2, 2, lens, w, &size)) tier->copy(s, d, w, acc);
  return undef(env);
}

// axpy(alpha, x, y)
napi_value Axpy(napi_env env, napi_callback_info info) {
  Args a(env, info);
  double al = a.num(0);
  size_t nx, ny;
  float* x = a.f32(1, &nx);
  float* y = a.f32(2, &ny);
  if (a.check(nx >= ny, "axpy: x too short")) tier->axpy((float)al, x, y, (long)ny);
  return undef(env);
}

// scale(x, alpha, out)
napi_value Scale(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t nx, no;
  float* x = a.f32(0, &nx);
  double al = a.num(1);
  float* out = a.f32(2, &no);
  if (a.check(no >= nx, "scale: output too short")) tier->scale(x, (float)al, out, (long)nx);
  return undef(env);
}

// reduce(op, x, out, outer, len, inner) with op 0 sum, 1 max, 2 min
napi_value Reduce(napi_env env, napi_callback_info info) {
  Args a(env, info);
  long op = a.integer(0);
  size_t nx, no;
  float* x = a.f32(1, &nx);
  float* out = a.f32(2, &no);
  long outer = a.integer(3), len = a.integer(4), inner = a.integer(5);
  if (a.check(op >= 0 && op <= 2 && outer >= 0 && len >= 0 && inner >= 0, "reduce: bad arguments") &&
      a.check((size_t)(outer * len * inner) <= nx && (size_t)(outer * inner) <= no, "reduce: arrays too short"))
    tier->reduce((int)op, x, out, outer, len, inner);
  return undef(env);
}

// argReduce(op, x, out, outer, len, inner) with op 1 max, 2 min
napi_value ArgReduce(napi_env env, napi_callback_info info) {
  Args a(env, info);
  long op = a.integer(0);
  size_t nx, no;
  float* x = a.f32(1, &nx);
  float* out = a.f32(2, &no);
  long outer = a.integer(3), len = a.integer(4), inner = a.integer(5);
  if (a.check((op == 1 || op == 2) && outer >= 0 && len >= 0 && inner >= 0, "argReduce: bad arguments") &&
      a.check((size_t)(outer * len * inner) <= nx && (size_t)(outer * inner) <= no, "argReduce: arrays too short"))
    tier->arg_reduce((int)op, x, out, outer, len, inner);
  return undef(env);
}

// sumSquares(x) -> number
napi_value SumSquares(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t n;
  float* x = a.f32(0, &n);
  if (a.failed) return undef(env);
  napi_value r;
  napi_create_double(env, tier->sum_squares(x, (long)n), &r);
  return r;
}

/** Index position of the first index that is not an integer in [0, srcLen), or -1. */
long bad_index(const float* idx, long n, long srcLen) {
  for (long j = 0; j < n; j++) {
    const float k = idx[j];
    if (!(k >= 0 && k < (float)srcLen && k == (float)(long)k)) return j;
  }
  return -1;
}

// gather(src, idx, out, outer, srcLen, inner, nIdx) -> -1, or the position of a bad index
// scatterAdd(gout, idx, gsrc, outer, srcLen, inner, nIdx) -> the same
template <bool SCATTER>
napi_value GatherScatter(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t n0, ni, n2;
  float* p0 = a.f32(0, &n0);
  float* idx = a.f32(1, &ni);
  float* p2 = a.f32(2, &n2);
  long outer = a.integer(3), srcLen = a.integer(4), inner = a.integer(5), nIdx = a.integer(6);
  if (!a.check(outer >= 0 && srcLen >= 0 && inner >= 0 && nIdx >= 0 && (size_t)nIdx <= ni, "gather: bad arguments"))
    return undef(env);
  const size_t srcSize = outer * srcLen * inner, outSize = outer * nIdx * inner;
  if (!a.check(SCATTER ? (n0 >= outSize && n2 >= srcSize) : (n0 >= srcSize && n2 >= outSize), "gather: arrays too short"))
    return undef(env);
  long bad = bad_index(idx, nIdx, srcLen);
  if (bad < 0) {
    if (SCATTER) tier->scatter_add(p0, idx, p2, outer, srcLen, inner, nIdx);
    else tier->gather(p0, idx, p2, outer, srcLen, inner, nIdx);
  }
  napi_value r;
  napi_create_int64(env, bad, &r);
  return r;
}

// matmul(a, b, c, m, n, k, flags, batch, strideA, strideB, strideC), flags: 1 transA, 2 transB, 4 accumulate
napi_value Matmul(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t na, nb, nc;
  float* A = a.f32(0, &na);
  float* B = a.f32(1, &nb);
  float* C = a.f32(2, &nc);
  long m = a.integer(3), n = a.integer(4), k = a.integer(5), flags = a.integer(6), batch = a.integer(7);
  long sA = a.integer(8), sB = a.integer(9), sC = a.integer(10);
  if (!a.check(m >= 0 && n >= 0 && k >= 0 && batch >= 0 && sA >= 0 && sB >= 0 && sC >= 0, "matmul: bad sizes"))
    return undef(env);
  if (batch == 0 || m == 0 || n == 0) return undef(env);
  const bool ok = (size_t)((batch - 1) * sA + m * k) <= na && (size_t)((batch - 1) * sB + k * n) <= nb &&
                  (size_t)((batch - 1) * sC + m * n) <= nc;
  if (a.check(ok, "matmul: arrays too short for the sizes"))
    tier->matmul(A, B, C, m, n, k, flags & 1, flags & 2, flags & 4, batch, sA, sB, sC);
  return undef(env);
}

// linear(x, w, bias|null, y, pre|null, m, n, k, act, biasGroups, res|null)
napi_value Linear(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t nx, nw, nb, ny, np, nr;
  float* x = a.f32(0, &nx);
  float* w = a.f32(1, &nw);
  float* bias = a.f32(2, &nb, true);
  float* y = a.f32(3, &ny);
  float* pre = a.f32(4, &np, true);
  long m = a.integer(5), n = a.integer(6), k = a.integer(7), act = a.integer(8), groups = a.integer(9);
  float* res = a.f32(10, &nr, true);
  if (!a.check(m >= 0 && n >= 0 && k >= 0 && act >= -1 && act < rfm::U_COUNT && groups >= 1 && (m == 0 || m % groups == 0),
               "linear: bad arguments"))
    return undef(env);
  const bool ok = (size_t)(m * k) <= nx && (size_t)(n * k) <= nw && (!bias || (size_t)(n * groups) <= nb) &&
                  (size_t)(m * n) <= ny && (!pre || (size_t)(m * n) <= np) && (!res || (size_t)(m * n) <= nr);
  if (a.check(ok, "linear: arrays too short for the sizes")) tier->linear(x, w, bias, y, pre, m, n, k, (int)act, groups, res);
  return undef(env);
}

// linearBackward(x, w, pre, y, gy, gx|null, gw|null, gb|null, scratch, m, n, k, act, accumulate, biasGroups)
napi_value LinearBackward(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t nx, nw, np, ny, ng, ngx, ngw, ngb, ns;
  float* x = a.f32(0, &nx);
  float* w = a.f32(1, &nw);
  float* pre = a.f32(2, &np);
  float* y = a.f32(3, &ny);
  float* gy = a.f32(4, &ng);
  float* gx = a.f32(5, &ngx, true);
  float* gw = a.f32(6, &ngw, true);
  float* gb = a.f32(7, &ngb, true);
  float* scratch = a.f32(8, &ns);
  long m = a.integer(9), n = a.integer(10), k = a.integer(11), act = a.integer(12);
  bool acc = a.flag(13);
  long groups = a.integer(14);
  if (!a.check(m >= 0 && n >= 0 && k >= 0 && act >= -1 && act < rfm::U_COUNT && groups >= 1 && (m == 0 || m % groups == 0),
               "linearBackward: bad arguments"))
    return undef(env);
  const size_t mn = m * n;
  const bool ok = (size_t)(m * k) <= nx && (size_t)(n * k) <= nw && mn <= np && mn <= ny && mn <= ng && mn <= ns &&
                  (!gx || (size_t)(m * k) <= ngx) && (!gw || (size_t)(n * k) <= ngw) && (!gb || (size_t)(n * groups) <= ngb);
  if (a.check(ok, "linearBackward: arrays too short for the sizes"))
    tier->linear_backward(x, w, pre, y, gy, gx, gw, gb, scratch, m, n, k, (int)act, acc, groups);
  return undef(env);
}

constexpr int MAX_LAYERS = 12;

// The layers of mlpForward / mlpEuler: meta = [M, nl, then per layer in, out, act, residual,
// biasGroups] from meta[at], weights w_l, b_l (or null) as arguments first + 2 l, first + 2 l + 1.
// Returns the layer count, or 0 after throwing.
static int parse_layers(Args& a, const char* fn, const int32_t* meta, size_t nm, size_t at, size_t first, long M,
                        rfm::MlpLayer* layers) {
  const int nl = nm > at ? meta[at] : 0;
  std::string what = std::string(fn) + ": bad layer count or missing weights";
  if (!a.check(nl >= 1 && nl <= MAX_LAYERS && nm >= at + 1 + 5 * nl && a.n >= first + 2 * nl, what.c_str())) return 0;
  for (int l = 0; l < nl; l++) {
    const int32_t* m = meta + at + 1 + 5 * l;
    size_t nw, nb;
    float* w = a.f32(first + 2 * l, &nw);
    float* b = a.f32(first + 2 * l + 1, &nb, true);
    if (a.failed) return 0;
    const long in = m[0], out = m[1], act = m[2], groups = m[4];
    const bool residual = m[3] != 0;
    const bool ok = in >= 1 && in <= rfm::BLOCK_MAX_DEPTH && out >= 1 && act >= -1 && act < rfm::U_COUNT && groups >= 1 &&
                    (groups == 1 || (out > rfm::NARROW_MAX && M % groups == 0)) && (!residual || in == out) &&
                    (l == 0 || in == layers[l - 1].out) && (size_t)(in * out) <= nw && (!b || (size_t)(out * groups) <= nb);
    what = std::string(fn) + ": a layer's sizes do not fit";
    if (!a.check(ok, what.c_str())) return 0;
    layers[l] = rfm::MlpLayer{w, b, in, out, (int)act, residual, groups};
  }
  return nl;
}

// mlpForward(x, y, meta, w0, b0|null, w1, b1|null, ...), meta = [M, nl, layers...]: a whole MLP
// forward (rfm::mlp_forward)
napi_value MlpForward(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t nx, ny, nm;
  float* x = a.f32(0, &nx);
  float* y = a.f32(1, &ny);
  const int32_t* meta = a.i32(2, &nm);
  if (a.failed) return undef(env);
  if (!a.check(nm >= 2 && meta[0] >= 0, "mlpForward: bad meta")) return undef(env);
  const long M = meta[0];
  rfm::MlpLayer layers[MAX_LAYERS];
  const int nl = parse_layers(a, "mlpForward", meta, nm, 1, 3, M, layers);
  if (!nl) return undef(env);
  if (!a.check((size_t)(M * layers[0].in) <= nx && (size_t)(M * layers[nl - 1].out) <= ny, "mlpForward: arrays too short for the sizes"))
    return undef(env);
  tier->mlp_forward(x, M, layers, nl, y);
  return undef(env);
}

// mlpEuler(y0, y, meta, stepBias, h, w0, b0|null, ...), meta = [M, steps, groups, nl, layers...]:
// Euler integration through a chain (rfm::mlp_euler); layer 0's own bias argument is ignored
napi_value MlpEuler(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t n0, ny, nm, nsb, nh;
  float* y0 = a.f32(0, &n0);
  float* y = a.f32(1, &ny);
  const int32_t* meta = a.i32(2, &nm);
  float* sb = a.f32(3, &nsb);
  float* h = a.f32(4, &nh);
  if (a.failed) return undef(env);
  if (!a.check(nm >= 4 && meta[0] >= 0 && meta[1] >= 0 && meta[2] >= 1, "mlpEuler: bad meta")) return undef(env);
  const long M = meta[0], steps = meta[1], groups = meta[2];
  rfm::MlpLayer layers[MAX_LAYERS];
  const int nl = parse_layers(a, "mlpEuler", meta, nm, 3, 5, M, layers);
  if (!nl) return undef(env);
  const long D = layers[0].in, H0 = layers[0].out;
  const bool ok = layers[nl - 1].out == D && (size_t)(M * D) <= n0 && (size_t)(M * D) <= ny && (size_t)steps <= nh &&
                  (size_t)(steps * groups * H0) <= nsb && M % groups == 0 && (groups == 1 || H0 > rfm::NARROW_MAX);
  if (!a.check(ok, "mlpEuler: sizes do not fit (the chain must map D to D; stepBias [steps, groups, H])")) return undef(env);
  tier->mlp_euler(y0, M, layers, nl, (int)steps, sb, groups, h, y);
  return undef(env);
}

// twinReluCriticMin(act, q1, q2, grad|null, meta = [M, A, H1, H2, G, ldw1, offset], then per critic
// w1, cond, w2, b2|null, w3, b3|null): rfm::twin_relu_critic_min, w1a = w1 + offset
napi_value TwinReluCriticMin(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t na, nq1, nq2, ng, nm;
  float* act = a.f32(0, &na);
  float* q1 = a.f32(1, &nq1);
  float* q2 = a.f32(2, &nq2);
  float* grad = a.f32(3, &ng, true);
  const int32_t* meta = a.i32(4, &nm);
  if (a.failed || !a.check(nm >= 7 && a.n >= 17, "twinReluCriticMin: bad arguments")) return undef(env);
  const long M = meta[0], A = meta[1], H1 = meta[2], H2 = meta[3], G = meta[4], ldw1 = meta[5], off = meta[6];
  bool ok = M >= 0 && A >= 1 && A <= rfm::BLOCK_MAX_DEPTH && H1 >= 1 && H1 <= rfm::BLOCK_MAX_DEPTH && H2 >= 1 && H2 <= rfm::BLOCK_MAX_DEPTH && G >= 1 && (M == 0 || M % G == 0) &&
            off >= 0 && off + A <= ldw1 && (size_t)(M * A) <= na && (size_t)M <= nq1 && (size_t)M <= nq2 && (!grad || (size_t)(M * A) <= ng);
  rfm::ReluCritic cs[2];
  for (int c = 0; c < 2 && ok; c++) {
    size_t nw1, ncond, nw2, nb2, nw3, nb3;
    float* w1 = a.f32(5 + 6 * c, &nw1);
    float* cond = a.f32(6 + 6 * c, &ncond);
    float* w2 = a.f32(7 + 6 * c, &nw2);
    float* b2 = a.f32(8 + 6 * c, &nb2, true);
    float* w3 = a.f32(9 + 6 * c, &nw3);
    float* b3 = a.f32(10 + 6 * c, &nb3, true);
    ok = !a.failed && (size_t)(H1 * ldw1) <= nw1 && (size_t)(G * H1) <= ncond && (size_t)(H2 * H1) <= nw2 &&
         (!b2 || (size_t)H2 <= nb2) && (size_t)H2 <= nw3 && (!b3 || nb3 >= 1);
    cs[c] = rfm::ReluCritic{w1 + off, ldw1, cond, w2, b2, w3, b3};
  }
  if (!a.check(ok, "twinReluCriticMin: arrays too short for the sizes")) return undef(env);
  tier->twin_relu_critic_min(act, M, A, H1, H2, G, cs, q1, q2, grad);
  return undef(env);
}

// philoxBlocks(out Uint32Array, k0, k1, ctrLo, ctrHi, nBlocks): Philox4x32-10 blocks for the
// counters (ctrLo + i, ctrHi + carry, 0, 0), i < nBlocks, as src/engine/rng.ts computes them
napi_value PhiloxBlocks(napi_env env, napi_callback_info info) {
  Args a(env, info);
  napi_typedarray_type tt;
  size_t length = 0;
  void* data = nullptr;
  if (a.n < 6 || napi_get_typedarray_info(env, a.v[0], &tt, &length, &data, nullptr, nullptr) != napi_ok ||
      tt != napi_uint32_array) {
    a.fail("philoxBlocks: expected a Uint32Array");
    return undef(env);
  }
  const long k0 = a.integer(1), k1 = a.integer(2), lo = a.integer(3), hi = a.integer(4), n = a.integer(5);
  if (!a.check(n >= 0 && (size_t)(4 * n) <= length, "philoxBlocks: array too short")) return undef(env);
  tier->philox_blocks(static_cast<uint32_t*>(data), (uint32_t)k0, (uint32_t)k1, (uint32_t)lo, (uint32_t)hi, n);
  return undef(env);
}

// normalsFromBlocks(out Float32Array, k0, k1, ctrLo, ctrHi, mean, sd): out.length normals, a pair
// per Philox block from counter (ctrLo, ctrHi) on (rfm::normals_from_blocks)
napi_value NormalsFromBlocks(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t n;
  float* out = a.f32(0, &n);
  const long k0 = a.integer(1), k1 = a.integer(2), lo = a.integer(3), hi = a.integer(4);
  const double mean = a.num(5), sd = a.num(6);
  if (a.failed) return undef(env);
  tier->normals_from_blocks(out, (long)n, (uint32_t)k0, (uint32_t)k1, (uint32_t)lo, (uint32_t)hi, mean, sd);
  return undef(env);
}

// adam(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, bc1, bc2, gradScale)
napi_value Adam(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t np, ng, nm, nv;
  float* p = a.f32(0, &np);
  float* g = a.f32(1, &ng);
  float* m = a.f32(2, &nm);
  float* v = a.f32(3, &nv);
  double hp[8];
  for (int i = 0; i < 8; i++) hp[i] = a.num(4 + i);
  if (a.check(ng >= np && nm >= np && nv >= np, "adam: arrays too short")) tier->adam(p, g, m, v, (long)np, hp);
  return undef(env);
}

// Float32Arrays of the JS array argument i (null entries allowed where nullable): pointers and lengths
static bool f32_list(Args& a, size_t i, std::vector<float*>& ptr, std::vector<size_t>& len, bool nullable) {
  if (a.failed) return false;
  bool isArray = false;
  if (i >= a.n || napi_is_array(a.env, a.v[i], &isArray) != napi_ok || !isArray) {
    a.fail("expected an array of Float32Arrays");
    return false;
  }
  uint32_t n = 0;
  napi_get_array_length(a.env, a.v[i], &n);
  ptr.assign(n, nullptr);
  len.assign(n, 0);
  for (uint32_t j = 0; j < n; j++) {
    napi_value e;
    napi_get_element(a.env, a.v[i], j, &e);
    ptr[j] = a.f32_of(e, &len[j], nullable);
    if (a.failed) return false;
  }
  return true;
}

// mlpMseGrads(x, target, pred|null, meta = [M, nl, per layer in, out, act, residual], then per
// layer w, b|null, gw|null, gb|null, scale) -> the loss (rfm::mlp_mse_grads)
napi_value MlpMseGrads(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t nx, nt, np, nm;
  float* x = a.f32(0, &nx);
  float* target = a.f32(1, &nt);
  float* pred = a.f32(2, &np, true);
  const int32_t* meta = a.i32(3, &nm);
  if (a.failed) return undef(env);
  if (!a.check(nm >= 2 && meta[0] >= 1 && meta[1] >= 1 && meta[1] <= MAX_LAYERS && nm >= (size_t)(2 + 4 * meta[1]) &&
                   a.n >= (size_t)(5 + 4 * meta[1]),
               "mlpMseGrads: bad meta or missing arrays"))
    return undef(env);
  const long M = meta[0];
  const int nl = meta[1];
  rfm::TrainLayer L[MAX_LAYERS];
  for (int l = 0; l < nl; l++) {
    const int32_t* m = meta + 2 + 4 * l;
    size_t nw, nb, ngw, ngb;
    float* w = a.f32(4 + 4 * l, &nw);
    float* b = a.f32(5 + 4 * l, &nb, true);
    float* gw = a.f32(6 + 4 * l, &ngw, true);
    float* gb = a.f32(7 + 4 * l, &ngb, true);
    if (a.failed) return undef(env);
    const long in = m[0], out = m[1], act = m[2];
    const bool residual = m[3] != 0;
    const bool ok = in >= 1 && out >= 1 && act >= -1 && act < rfm::U_COUNT && (l == 0 || in == L[l - 1].out) &&
                    (size_t)(in * out) <= nw && (!b || (size_t)out <= nb) && (!gw || (size_t)(in * out) <= ngw) &&
                    (!gb || (size_t)out <= ngb) && (!residual || (in == out && act != rfm::U_TANH && act != rfm::U_SIGMOID));
    if (!a.check(ok, "mlpMseGrads: a layer's sizes do not fit")) return undef(env);
    L[l] = rfm::TrainLayer{w, b, in, out, (int)act, residual, gw, gb};
  }
  const double scale = a.num(4 + 4 * nl);
  const size_t nOut = (size_t)(M * L[nl - 1].out);
  if (a.failed || !a.check((size_t)(M * L[0].in) <= nx && nOut <= nt && (!pred || nOut <= np), "mlpMseGrads: arrays too short for the sizes"))
    return undef(env);
  napi_value r;
  napi_create_double(env, tier->mlp_mse_grads(x, target, M, L, nl, scale, pred), &r);
  return r;
}

// posteriorMean(x1, x0, logits, grads, aOverB, cRow|null, m, c, w, diag Float64Array(4), B, K, D,
// ridge, clip): rfm::posterior_mean (cRow null: the autotuned control variate)
napi_value PosteriorMean(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t n1, n0, nl, ng, nab, ncr, nm, nc, nw;
  float* x1 = a.f32(0, &n1);
  float* x0 = a.f32(1, &n0);
  float* logits = a.f32(2, &nl);
  float* grads = a.f32(3, &ng);
  float* ab = a.f32(4, &nab);
  float* cRow = a.f32(5, &ncr, true);
  float* m = a.f32(6, &nm);
  float* c = a.f32(7, &nc);
  float* w = a.f32(8, &nw);
  if (a.failed) return undef(env);
  napi_typedarray_type tt;
  size_t nd = 0;
  void* dd = nullptr;
  if (a.n < 15 || napi_get_typedarray_info(env, a.v[9], &tt, &nd, &dd, nullptr, nullptr) != napi_ok || tt != napi_float64_array || nd < 4) {
    a.fail("posteriorMean: expected a Float64Array(4) for the diagnostics");
    return undef(env);
  }
  const long B = a.integer(10), K = a.integer(11), D = a.integer(12);
  const double ridge = a.num(13), clip = a.num(14);
  if (a.failed) return undef(env);
  const size_t bkd = (size_t)(B * K * D);
  const bool ok = B >= 1 && K >= 1 && D >= 1 && n1 >= bkd && n0 >= bkd && ng >= bkd && nl >= (size_t)(B * K) &&
                  nab >= (size_t)B && (!cRow || ncr >= (size_t)B) && nm >= (size_t)(B * D) && nc >= (size_t)(B * D) &&
                  nw >= (size_t)(B * K);
  if (!a.check(ok, "posteriorMean: arrays too short for the sizes")) return undef(env);
  tier->posterior_mean(x1, x0, logits, grads, ab, cRow, B, K, D, cRow ? 0 : 1, ridge, clip, m, c, w, static_cast<double*>(dd));
  return undef(env);
}

// tanhLatentTerms(y, a, v, g, value, grad, n, d): rfm::tanh_latent_terms
napi_value TanhLatentTerms(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t ny, na, nv, ng, nval, ngr;
  float* y = a.f32(0, &ny);
  float* at = a.f32(1, &na);
  float* v = a.f32(2, &nv);
  float* g = a.f32(3, &ng);
  float* value = a.f32(4, &nval);
  float* grad = a.f32(5, &ngr);
  const long n = a.integer(6), d = a.integer(7);
  if (a.failed) return undef(env);
  const size_t nd = (size_t)(n * d);
  const bool ok = n >= 0 && d >= 1 && ny >= nd && na >= nd && ng >= nd && ngr >= nd && nv >= (size_t)n && nval >= (size_t)n;
  if (!a.check(ok, "tanhLatentTerms: arrays too short for the sizes")) return undef(env);
  tier->tanh_latent_terms(y, at, v, g, n, d, value, grad);
  return undef(env);
}

// adamMulti(params[], grads[] (null: no gradient), ms[], vs[], lr, beta1, beta2, eps, weightDecay,
// bc1, bc2, maxGradNorm) -> the global gradient norm before clipping. One Adam step of every
// parameter with a gradient (the global norm clipped to maxGradNorm), then its gradient zeroed:
// nn/optim.ts's Adam.step in one call, the same numbers.
napi_value AdamMulti(napi_env env, napi_callback_info info) {
  Args a(env, info);
  std::vector<float*> P, G, Mo, V;
  std::vector<size_t> nP, nG, nM, nV;
  if (!f32_list(a, 0, P, nP, false) || !f32_list(a, 1, G, nG, true) || !f32_list(a, 2, Mo, nM, false) || !f32_list(a, 3, V, nV, false))
    return undef(env);
  double hp[8];
  for (int i = 0; i < 7; i++) hp[i] = a.num(4 + i);
  const double maxNorm = a.num(11);
  if (a.failed) return undef(env);
  const size_t n = P.size();
  bool ok = G.size() == n && Mo.size() == n && V.size() == n;
  for (size_t i = 0; ok && i < n; i++) ok = (!G[i] || nG[i] >= nP[i]) && nM[i] >= nP[i] && nV[i] >= nP[i];
  if (!a.check(ok, "adamMulti: the lists differ in length, or an array is too short")) return undef(env);
  double s = 0;
  for (size_t i = 0; i < n; i++)
    if (G[i]) s += tier->sum_squares(G[i], (long)nP[i]);
  const double norm = std::sqrt(s);
  hp[7] = std::isfinite(maxNorm) && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1.0;
  for (size_t i = 0; i < n; i++) {
    if (!G[i]) continue;
    tier->adam(P[i], G[i], Mo[i], V[i], (long)nP[i], hp);
    tier->fill(G[i], (long)nP[i], 0.0f);
  }
  napi_value r;
  napi_create_double(env, norm, &r);
  return r;
}

// polyakMulti(targets[], onlines[], tau): target = (1 - tau) target + tau online, array by array
napi_value PolyakMulti(napi_env env, napi_callback_info info) {
  Args a(env, info);
  std::vector<float*> T, O;
  std::vector<size_t> nT, nO;
  if (!f32_list(a, 0, T, nT, false) || !f32_list(a, 1, O, nO, false)) return undef(env);
  const double tau = a.num(2);
  if (a.failed) return undef(env);
  bool ok = T.size() == O.size();
  for (size_t i = 0; ok && i < T.size(); i++) ok = nO[i] >= nT[i];
  if (!a.check(ok, "polyakMulti: the lists differ in length, or an array is too short")) return undef(env);
  for (size_t i = 0; i < T.size(); i++) {
    tier->scale(T[i], (float)(1 - tau), T[i], (long)nT[i]);
    tier->axpy((float)tau, O[i], T[i], (long)nT[i]);
  }
  return undef(env);
}

napi_value Threads(napi_env env, napi_callback_info) {
  napi_value r;
  napi_create_int32(env, rfm::max_threads(), &r);
  return r;
}

napi_value Isa(napi_env env, napi_callback_info) {
  napi_value r;
  napi_create_string_utf8(env, tier->isa, NAPI_AUTO_LENGTH, &r);
  return r;
}

// vmathEval(name, x: Float64Array, out: Float64Array): the vector math function `name` (vmath.h)
// at x, for the accuracy tests
napi_value VmathEval(napi_env env, napi_callback_info info) {
  Args a(env, info);
  char name[32] = {0};
  size_t nameLen = 0;
  double* arr[2] = {nullptr, nullptr};
  size_t len[2] = {0, 0};
  if (a.n < 3 || napi_get_value_string_utf8(env, a.v[0], name, sizeof name, &nameLen) != napi_ok) {
    a.fail("vmathEval: expected a function name, x and out");
    return undef(env);
  }
  for (int i = 0; i < 2; i++) {
    napi_typedarray_type tt;
    void* data = nullptr;
    if (napi_get_typedarray_info(env, a.v[1 + i], &tt, &len[i], &data, nullptr, nullptr) != napi_ok || tt != napi_float64_array) {
      a.fail("vmathEval: x and out must be Float64Arrays");
      return undef(env);
    }
    arr[i] = static_cast<double*>(data);
  }
  if (!a.check(len[1] >= len[0], "vmathEval: out is shorter than x")) return undef(env);
  if (!tier->vmath_eval(name, arr[0], arr[1], (long)len[0])) a.fail("vmathEval: unknown function");
  return undef(env);
}

napi_value Init(napi_env env, napi_value exports) {
  const char* error = nullptr;
  tier = rfm::active_kernels(&error);
  if (!tier) {
    napi_throw_error(env, "ERR_RFM_ISA", error ? error : "no instruction-set tier");
    return nullptr;
  }
  const napi_property_descriptor props[] = {
      {"fill", nullptr, Fill, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unaryBackward", nullptr, UnaryBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"where", nullptr, Where, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"copy", nullptr, Copy, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"axpy", nullptr, Axpy, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"scale", nullptr, Scale, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduce", nullptr, Reduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"argReduce", nullptr, ArgReduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sumSquares", nullptr, SumSquares, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gather", nullptr, GatherScatter<false>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"scatterAdd", nullptr, GatherScatter<true>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmul", nullptr, Matmul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"linear", nullptr, Linear, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"linearBackward", nullptr, LinearBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adam", nullptr, Adam, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mlpForward", nullptr, MlpForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mlpEuler", nullptr, MlpEuler, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mlpMseGrads", nullptr, MlpMseGrads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"posteriorMean", nullptr, PosteriorMean, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tanhLatentTerms", nullptr, TanhLatentTerms, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamMulti", nullptr, AdamMulti, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"polyakMulti", nullptr, PolyakMulti, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"philoxBlocks", nullptr, PhiloxBlocks, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"normalsFromBlocks", nullptr, NormalsFromBlocks, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"twinReluCriticMin", nullptr, TwinReluCriticMin, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"threads", nullptr, Threads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"isa", nullptr, Isa, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"vmathEval", nullptr, VmathEval, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
