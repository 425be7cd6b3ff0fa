// Elementwise, reduction, layout and optimiser kernels of the native backend.
// The formulas are those of src/engine/kernels-ts.ts, evaluated in double and rounded to float
// (as the TypeScript backend does), so the two backends agree to a few ulps.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common.h"
#include "pool.h"
#include "vmath.h"

RFM_TIER_BEGIN

static constexpr double GELU_C = 0.79788456080286535588;  // sqrt(2 / pi)
static constexpr double GELU_A = 0.044715;
static constexpr double LOG2 = 0.69314718055994530942;

// Work below these sizes runs on the calling thread alone.
static constexpr long PAR_CHEAP = 1L << 16;  // memory-bound loops
static constexpr long PAR_COSTLY = 1L << 12;  // loops calling exp / log / tanh
static inline bool threaded(long n, long threshold) { return n >= threshold && max_threads() > 1; }
// elements per work item of the threaded loops
static constexpr long CHUNK_CHEAP = 1L << 15;
static constexpr long CHUNK_COSTLY = 1L << 11;

// Elementwise loops over restrict-qualified arguments, so that they vectorise (exact aliasing
// of an input with the output, as in scale(x, a, x), stays correct: each index is read before
// it is written).
template <class F>
static void map1(const float* __restrict x, float* __restrict o, long n, F f) {
  for (long i = 0; i < n; i++) o[i] = f(x[i]);
}
template <class F>
static void map2(const float* __restrict x, const float* __restrict y, float* __restrict o, long n, F f) {
  for (long i = 0; i < n; i++) o[i] = f(x[i], y[i]);
}
template <class F>
static void map3(const float* __restrict x, const float* __restrict y, const float* __restrict z, float* __restrict o,
                 long n, F f) {
  for (long i = 0; i < n; i++) o[i] = f(x[i], y[i], z[i]);
}

static inline double sigmoid(double x) {
  if (x >= 0) return 1 / (1 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1 + e);
}
static inline double softplus(double x) { return (x > 0 ? x : 0) + std::log1p(std::exp(-std::fabs(x))); }

template <int OP>
static inline double uval(double x, double p0, double p1) {
  switch (OP) {
    case U_NEG: return -x;
    case U_EXP: return std::exp(x);
    case U_LOG: return std::log(x);
    case U_LOG1P: return std::log1p(x);
    case U_TANH: return std::tanh(x);
    case U_SIGMOID: return sigmoid(x);
    case U_SOFTPLUS: return softplus(x);
    case U_RELU: return x > 0 ? x : 0;
    case U_GELU: return 0.5 * x * (1 + std::tanh(GELU_C * (x + GELU_A * x * x * x)));
    case U_SILU: return x * sigmoid(x);
    case U_MISH: return x * std::tanh(softplus(x));
    case U_SIN: return std::sin(x);
    case U_COS: return std::cos(x);
    case U_SQUARE: return x * x;
    case U_SQRT: return std::sqrt(x);
    case U_ABS: return std::fabs(x);
    case U_RECIP: return 1 / x;
    case U_LOGCOSH: { const double a = std::fabs(x); return a + std::log1p(std::exp(-2 * a)) - LOG2; }
    case U_POWSCALAR: return std::pow(x, p0);
    case U_CLAMP: return x < p0 ? p0 : x > p1 ? p1 : x;
    case U_SIGN: return x > 0 ? 1 : x < 0 ? -1 : 0;
  }
  return 0;
}

template <int OP>
static inline double uder(double x, double y, double p0, double p1) {
  (void)p1;
  switch (OP) {
    case U_NEG: return -1;
    case U_EXP: return y;
    case U_LOG: return 1 / x;
    case U_LOG1P: return 1 / (1 + x);
    case U_TANH: return 1 - y * y;
    case U_SIGMOID: return y * (1 - y);
    case U_SOFTPLUS: return sigmoid(x);
    case U_RELU: return x > 0 ? 1 : 0;
    case U_GELU: {
      const double th = std::tanh(GELU_C * (x + GELU_A * x * x * x));
      return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * GELU_C * (1 + 3 * GELU_A * x * x);
    }
    case U_SILU: { const double s = sigmoid(x); return s + x * s * (1 - s); }
    case U_MISH: { const double t = std::tanh(softplus(x)); return t + x * (1 - t * t) * sigmoid(x); }
    case U_SIN: return std::cos(x);
    case U_COS: return -std::sin(x);
    case U_SQUARE: return 2 * x;
    case U_SQRT: return 0.5 / y;
    case U_ABS: return x > 0 ? 1 : x < 0 ? -1 : 0;
    case U_RECIP: return -y * y;
    case U_LOGCOSH: return std::tanh(x);
    case U_POWSCALAR: return p0 == 0 ? 0 : p0 * std::pow(x, p0 - 1);
    case U_CLAMP: return x >= p0 && x <= p1 ? 1 : 0;
    case U_SIGN: return 0;
  }
  return 0;
}

static constexpr bool cheap(int op) {
  return op == U_NEG || op == U_RELU || op == U_SQUARE || op == U_SQRT || op == U_ABS || op == U_RECIP ||
         op == U_CLAMP || op == U_SIGN;
}

template <int OP>
static void unary_t(const float* __restrict x, float* __restrict out, long n, double p0, double p1) {
  const bool c = cheap(OP);
  parallel_for(n, c ? CHUNK_CHEAP : CHUNK_COSTLY, threaded(n, c ? PAR_CHEAP : PAR_COSTLY), [&](long b, long e) {
    map1(x + b, out + b, e - b, [=](float v) { return (float)uval<OP>(v, p0, p1); });
  });
}

template <int OP>
static void unary_backward_t(const float* __restrict x, const float* __restrict y, const float* __restrict gy,
                             float* __restrict gx, long n, double p0, double p1) {
  const bool c = cheap(OP) || OP == U_EXP || OP == U_TANH || OP == U_SIGMOID;
  parallel_for(n, c ? CHUNK_CHEAP : CHUNK_COSTLY, threaded(n, c ? PAR_CHEAP : PAR_COSTLY), [&](long b, long e) {
    map3(x + b, y + b, gy + b, gx + b, e - b,
         [=](float xv, float yv, float g) { return (float)((double)g * uder<OP>(xv, yv, p0, p1)); });
  });
}

#define RFM_UNARY_CASES(F) \
  F(U_NEG) F(U_EXP) F(U_LOG) F(U_LOG1P) F(U_TANH) F(U_SIGMOID) F(U_SOFTPLUS) F(U_RELU) F(U_GELU) F(U_SILU) F(U_MISH) \
  F(U_SIN) F(U_COS) F(U_SQUARE) F(U_SQRT) F(U_ABS) F(U_RECIP) F(U_LOGCOSH) F(U_POWSCALAR) F(U_CLAMP) F(U_SIGN)

static bool has_vector_act(int act);

void unary(int op, const float* x, float* out, long n, float p0, float p1) {
  if (has_vector_act(op)) {
    // the vectorised float forms of the fused linear kernels
    parallel_for(n, CHUNK_CHEAP / 4, threaded(n, PAR_COSTLY * 4), [&](long b, long e) { activate_rows(op, x + b, 0, out + b, 0, 1, e - b); });
    return;
  }
  if (op == U_LOGCOSH) {
    // in double, a register at a time (the scalar formula's numbers up to the last bit of a double)
    using vmath::DW;
    parallel_for(n, CHUNK_CHEAP / 4, threaded(n, PAR_COSTLY * 4), [&](long b, long e) {
      long i = b;
      for (; i + DW <= e; i += DW) {
        vmath::vfh xf;
        std::memcpy(&xf, x + i, sizeof xf);
        const vmath::vfh yf = __builtin_convertvector(vmath::logcosh(__builtin_convertvector(xf, vmath::vd)), vmath::vfh);
        std::memcpy(out + i, &yf, sizeof yf);
      }
      unary_t<U_LOGCOSH>(x + i, out + i, e - i, p0, p1);
    });
    return;
  }
  switch (op) {
#define F(OP) case OP: unary_t<OP>(x, out, n, p0, p1); break;
    RFM_UNARY_CASES(F)
#undef F
  }
}

void unary_backward(int op, const float* x, const float* y, const float* gy, float* gx, long n, float p0, float p1) {
  if (has_vector_act(op) && (op == U_GELU || op == U_SILU)) {
    parallel_for(n, CHUNK_CHEAP / 4, threaded(n, PAR_COSTLY * 4), [&](long b, long e) {
      activation_backward(op, x + b, y + b, gy + b, gx + b, e - b);
    });
    return;
  }
  switch (op) {
#define F(OP) case OP: unary_backward_t<OP>(x, y, gy, gx, n, p0, p1); break;
    RFM_UNARY_CASES(F)
#undef F
  }
}

// vectorised activations: vmath.h (shared with the GEMM's fused epilogue)

static bool has_vector_act(int act) { return act == U_GELU || act == U_TANH || act == U_SILU || act == U_SIGMOID; }

void activate_rows(int act, const float* z, long ldz, float* y, long ldy, long rows, long cols) {
  using vmath::VW;
  for (long i = 0; i < rows; i++) {
    const float* zi = z + i * ldz;
    float* yi = y + i * ldy;
    if (act == ACT_NONE) {
      if (yi != zi) std::memcpy(yi, zi, cols * sizeof(float));
    } else if (act == U_RELU) {
      for (long j = 0; j < cols; j++) yi[j] = zi[j] > 0 ? zi[j] : 0.0f;
    } else if (has_vector_act(act)) {
      long j = 0;
      for (; j + VW <= cols; j += VW) vmath::storeu(yi + j, vmath::act(act, vmath::loadu(zi + j)));
      if (j < cols) vmath::store_n(yi + j, vmath::act(act, vmath::load_n(zi + j, (int)(cols - j))), (int)(cols - j));
    } else {
      unary(act, zi, yi, cols, 0, 0);
    }
  }
}

void activation_backward(int act, const float* z, const float* y, const float* gy, float* gz, long n) {
  if (act == U_GELU || act == U_SILU) {
    using vmath::VW;
    auto grad = [act](vmath::vf x) { return act == U_GELU ? vmath::gelu_grad(x) : vmath::silu_grad(x); };
    long j = 0;
    for (; j + VW <= n; j += VW) vmath::storeu(gz + j, vmath::loadu(gy + j) * grad(vmath::loadu(z + j)));
    if (j < n) {
      const int cnt = (int)(n - j);
      vmath::store_n(gz + j, vmath::load_n(gy + j, cnt) * grad(vmath::load_n(z + j, cnt)), cnt);
    }
    return;
  }
  unary_backward(act, z, y, gy, gz, n, 0, 0);
}

// ---------------------------------------------------------------------------------------------
// strided walks

/** Drops unit dims and merges dims that are contiguous in every view (nv views). */
static Walk simplify(const Walk& w0, int nv) {
  Walk w;
  w.nd = 0;
  for (int v = 0; v < nv; v++) w.off[v] = w0.off[v];
  for (int d = 0; d < w0.nd; d++) {
    if (w0.shape[d] == 1) continue;
    if (w.nd > 0) {
      bool merge = true;
      const int e = w.nd - 1;
      for (int v = 0; v < nv; v++)
        if (w.stride[v][e] != w0.stride[v][d] * w0.shape[d]) merge = false;
      if (merge) {
        w.shape[e] *= w0.shape[d];
        for (int v = 0; v < nv; v++) w.stride[v][e] = w0.stride[v][d];
        continue;
      }
    }
    w.shape[w.nd] = w0.shape[d];
    for (int v = 0; v < nv; v++) w.stride[v][w.nd] = w0.stride[v][d];
    w.nd++;
  }
  if (w.nd == 0) {
    w.nd = 1;
    w.shape[0] = 1;
    for (int v = 0; v < nv; v++) w.stride[v][0] = 0;
  }
  return w;
}

/**
 * Calls row(outStart, offsets[nv], len, innerStrides[nv]) for each run along the last axis,
 * the runs split between threads when the walk is large.
 */
template <int NVIEW, class Row>
static void walk_rows(const Walk& w0, long threshold, Row row) {
  const Walk w = simplify(w0, NVIEW);
  const int nd = w.nd;
  const long len = w.shape[nd - 1];
  long rows = 1;
  for (int d = 0; d < nd - 1; d++) rows *= w.shape[d];
  if (rows == 0 || len == 0) return;
  const bool par = threaded(rows * len, threshold);
  long inner[NVIEW];
  for (int v = 0; v < NVIEW; v++) inner[v] = w.stride[v][nd - 1];
  auto range = [&](long r0, long r1) {
    if (r0 >= r1) return;
    long idx[MAX_DIMS];
    long off[NVIEW];
    for (int v = 0; v < NVIEW; v++) off[v] = w.off[v];
    long r = r0;
    for (int d = nd - 2; d >= 0; d--) {
      idx[d] = r % w.shape[d];
      r /= w.shape[d];
      for (int v = 0; v < NVIEW; v++) off[v] += idx[d] * w.stride[v][d];
    }
    for (long q = r0; q < r1; q++) {
      row(q * len, off, len, inner);
      for (int d = nd - 2; d >= 0; d--) {
        idx[d]++;
        for (int v = 0; v < NVIEW; v++) off[v] += w.stride[v][d];
        if (idx[d] < w.shape[d]) break;
        for (int v = 0; v < NVIEW; v++) off[v] -= w.stride[v][d] * w.shape[d];
        idx[d] = 0;
      }
    }
  };
  if (par && rows > 1) {
    parallel_for(rows, std::max<long>(1, CHUNK_CHEAP / len), true, range);
  } else if (par) {
    // one long run: split it
    parallel_for(len, CHUNK_CHEAP, true, [&](long a, long b) {
      long off[NVIEW];
      for (int v = 0; v < NVIEW; v++) off[v] = w.off[v] + a * inner[v];
      row(a, off, b - a, inner);
    });
  } else {
    range(0, rows);
  }
}

template <int OP>
static inline float bval(float a, float b) {
  switch (OP) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    case B_POW: return (float)std::pow((double)a, (double)b);
    case B_MIN: return a < b ? a : b;
    case B_MAX: return a > b ? a : b;
    case B_GT: return a > b ? 1.0f : 0.0f;
    case B_GE: return a >= b ? 1.0f : 0.0f;
    case B_LT: return a < b ? 1.0f : 0.0f;
    case B_LE: return a <= b ? 1.0f : 0.0f;
    case B_EQ: return a == b ? 1.0f : 0.0f;
  }
  return 0;
}

template <int OP>
static void binary_t(const float* a, const float* b, float* out, const Walk& w) {
  walk_rows<2>(w, OP == B_POW ? PAR_COSTLY : PAR_CHEAP, [&](long o, const long* off, long len, const long* st) {
    const float* __restrict pa = a + off[0];
    const float* __restrict pb = b + off[1];
    float* __restrict po = out + o;
    if (st[0] == 1 && st[1] == 1) {
      map2(pa, pb, po, len, [](float u, float v) { return bval<OP>(u, v); });
    } else if (st[0] == 1 && st[1] == 0) {
      const float s = pb[0];
      map1(pa, po, len, [=](float u) { return bval<OP>(u, s); });
    } else if (st[0] == 0 && st[1] == 1) {
      const float s = pa[0];
      map1(pb, po, len, [=](float v) { return bval<OP>(s, v); });
    } else {
      const long sa = st[0], sb = st[1];
      for (long i = 0; i < len; i++) po[i] = bval<OP>(pa[i * sa], pb[i * sb]);
    }
  });
}

void binary(int op, const float* a, const float* b, float* out, const Walk& w) {
  switch (op) {
#define F(OP) case OP: binary_t<OP>(a, b, out, w); break;
    F(B_ADD) F(B_SUB) F(B_MUL) F(B_DIV) F(B_POW) F(B_MIN) F(B_MAX) F(B_GT) F(B_GE) F(B_LT) F(B_LE) F(B_EQ)
#undef F
  }
}

void where(const float* c, const float* a, const float* b, float* out, const Walk& w) {
  walk_rows<3>(w, PAR_CHEAP, [&](long o, const long* off, long len, const long* st) {
    const float* pc = c + off[0];
    const float* pa = a + off[1];
    const float* pb = b + off[2];
    float* po = out + o;
    if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
      for (long i = 0; i < len; i++) po[i] = pc[i] != 0 ? pa[i] : pb[i];
    } else {
      const long sc = st[0], sa = st[1], sb = st[2];
      for (long i = 0; i < len; i++) po[i] = pc[i * sc] != 0 ? pa[i * sa] : pb[i * sb];
    }
  });
}

void copy(const float* src, float* dst, const Walk& w, bool accumulate) {
  // the "output" of the walk is unused: view 0 is the source, view 1 the destination
  walk_rows<2>(w, PAR_CHEAP, [&](long, const long* off, long len, const long* st) {
    const float* s = src + off[0];
    float* d = dst + off[1];
    const long ss = st[0], ds = st[1];
    if (accumulate) {
      if (ss == 1 && ds == 1)
        for (long i = 0; i < len; i++) d[i] += s[i];
      else
        for (long i = 0; i < len; i++) d[i * ds] += s[i * ss];
    } else {
      if (ss == 1 && ds == 1)
        std::memmove(d, s, len * sizeof(float));
      else if (ss == 0 && ds == 1)
        std::fill(d, d + len, s[0]);
      else
        for (long i = 0; i < len; i++) d[i * ds] = s[i * ss];
    }
  });
}

// ---------------------------------------------------------------------------------------------
// simple loops

void fill(float* out, long n, float v) {
  parallel_for(n, CHUNK_CHEAP, threaded(n, PAR_CHEAP * 4), [&](long b, long e) { std::fill(out + b, out + e, v); });
}

void axpy(float alpha, const float* __restrict x, float* __restrict y, long n) {
  // TS: y += alpha * x in double, rounded once
  const double al = alpha;
  parallel_for(n, CHUNK_CHEAP, threaded(n, PAR_CHEAP), [&](long b, long e) {
    map2(x + b, y + b, y + b, e - b, [=](float xv, float yv) { return (float)((double)yv + al * xv); });
  });
}

void scale(const float* __restrict x, float alpha, float* __restrict out, long n) {
  parallel_for(n, CHUNK_CHEAP, threaded(n, PAR_CHEAP), [&](long b, long e) {
    map1(x + b, out + b, e - b, [=](float xv) { return alpha * xv; });
  });
}

static thread_local double* tl_acc = nullptr;
static thread_local long tl_acc_cap = 0;
static double* acc_buffer(long n) {
  if (n > tl_acc_cap) {
    std::free(tl_acc);
    tl_acc_cap = std::max(n, tl_acc_cap * 2);
    tl_acc = static_cast<double*>(std::malloc(tl_acc_cap * sizeof(double)));
  }
  return tl_acc;
}

static double sum_contig(const float* x, long n) {
  // eight independent double sums (vectorisable without reassociation of one chain)
  double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  long i = 0;
  for (; i + 8 <= n; i += 8)
    for (int u = 0; u < 8; u++) part[u] += x[i + u];
  double s = 0;
  for (; i < n; i++) s += x[i];
  return s + ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

void reduce(int op, const float* x, float* out, long outer, long len, long inner) {
  if (len == 0) {
    // TS: sum of nothing is 0; max/min read x[base] (undefined -> NaN)
    for (long i = 0; i < outer * inner; i++) out[i] = op == 0 ? 0.0f : NAN;
    return;
  }
  if (op == 0) {
    if (inner == 1) {
      parallel_for(outer, std::max<long>(1, CHUNK_CHEAP / std::max<long>(len, 1)), threaded(outer * len, PAR_CHEAP),
                   [&](long b, long e) {
                     for (long o = b; o < e; o++) out[o] = (float)sum_contig(x + o * len, len);
                   });
      return;
    }
    double* acc = acc_buffer(inner);
    for (long o = 0; o < outer; o++) {
      const float* xo = x + o * len * inner;
      for (long j = 0; j < inner; j++) acc[j] = 0;
      for (long i = 0; i < len; i++) {
        const float* xi = xo + i * inner;
        for (long j = 0; j < inner; j++) acc[j] += xi[j];
      }
      for (long j = 0; j < inner; j++) out[o * inner + j] = (float)acc[j];
    }
    return;
  }
  const bool isMax = op == 1;
  for (long o = 0; o < outer; o++) {
    const float* xo = x + o * len * inner;
    float* oo = out + o * inner;
    for (long j = 0; j < inner; j++) oo[j] = xo[j];
    for (long i = 1; i < len; i++) {
      const float* xi = xo + i * inner;
      if (isMax)
        for (long j = 0; j < inner; j++) oo[j] = (xi[j] > oo[j] || std::isnan(xi[j])) ? xi[j] : oo[j];
      else
        for (long j = 0; j < inner; j++) oo[j] = (xi[j] < oo[j] || std::isnan(xi[j])) ? xi[j] : oo[j];
    }
  }
}

void arg_reduce(int op, const float* x, float* out, long outer, long len, long inner) {
  const bool isMax = op == 1;
  for (long o = 0; o < outer; o++)
    for (long j = 0; j < inner; j++) {
      const float* b = x + o * len * inner + j;
      long best = 0;
      float bv = len > 0 ? b[0] : NAN;
      for (long i = 1; i < len; i++) {
        const float v = b[i * inner];
        if (isMax ? v > bv : v < bv) {
          bv = v;
          best = i;
        }
      }
      out[o * inner + j] = (float)best;
    }
}

double sum_squares(const float* x, long n) {
  double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  long i = 0;
  for (; i + 8 <= n; i += 8)
    for (int u = 0; u < 8; u++) part[u] += (double)x[i + u] * x[i + u];
  double s = 0;
  for (; i < n; i++) s += (double)x[i] * x[i];
  return s + ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

void gather(const float* src, const float* idx, float* out, long outer, long srcLen, long inner, long nIdx) {
  for (long o = 0; o < outer; o++)
    for (long j = 0; j < nIdx; j++)
      std::memcpy(out + (o * nIdx + j) * inner, src + (o * srcLen + (long)idx[j]) * inner, inner * sizeof(float));
}

void scatter_add(const float* gout, const float* idx, float* gsrc, long outer, long srcLen, long inner, long nIdx) {
  for (long o = 0; o < outer; o++)
    for (long j = 0; j < nIdx; j++) {
      float* d = gsrc + (o * srcLen + (long)idx[j]) * inner;
      const float* s = gout + (o * nIdx + j) * inner;
      for (long i = 0; i < inner; i++) d[i] += s[i];
    }
}

struct AdamConst {
  float lr, b1, b2, eps, wd, ib1, ib2, gs, c1, c2;
};

static void adam_range(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v,
                       long n, const AdamConst k) {
  for (long i = 0; i < n; i++) {
    const float gi = g[i] * k.gs;
    const float mi = k.b1 * m[i] + k.c1 * gi;
    const float vi = k.b2 * v[i] + k.c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] - k.lr * ((mi * k.ib1) / (std::sqrt(vi * k.ib2) + k.eps) + k.wd * p[i]);
  }
}

void adam(float* p, const float* g, float* m, float* v, long n, const double* hp) {
  const AdamConst k{(float)hp[0], (float)hp[1], (float)hp[2], (float)hp[3], (float)hp[4],
                    (float)(1 / hp[5]), (float)(1 / hp[6]), (float)hp[7], (float)(1 - hp[1]), (float)(1 - hp[2])};
  parallel_for(n, CHUNK_CHEAP, threaded(n, PAR_CHEAP), [&](long b, long e) { adam_range(p + b, g + b, m + b, v + b, e - b, k); });
}

// ---------------------------------------------------------------------------------------------
// random numbers: Philox4x32-10 blocks (the generator itself lives in src/engine/rng.ts; this is
// the same integer function, for bulk draws)

void philox_blocks(uint32_t* out, uint32_t k0, uint32_t k1, uint32_t lo, uint32_t hi, long n) {
  // PG blocks side by side, each round over all of them (a loop the compiler vectorises: the
  // 32 x 32 -> 64-bit products on vector registers), then the rest one at a time; the same integers
  constexpr long PG = 16;
  long i = 0;
  for (; i + PG <= n; i += PG) {
    const uint64_t ctr = ((uint64_t)hi << 32 | lo) + (uint64_t)i;
    uint32_t c0[PG], c1[PG], c2[PG], c3[PG];
    for (long j = 0; j < PG; j++) {
      const uint64_t c = ctr + (uint64_t)j;
      c0[j] = (uint32_t)c;
      c1[j] = (uint32_t)(c >> 32);
      c2[j] = 0;
      c3[j] = 0;
    }
    uint32_t a = k0, b = k1;
    for (int r = 0; r < 10; r++) {
      for (long j = 0; j < PG; j++) {
        const uint64_t p0 = (uint64_t)0xd2511f53u * c0[j], p1 = (uint64_t)0xcd9e8d57u * c2[j];
        const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1[j] ^ a;
        const uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3[j] ^ b;
        c1[j] = (uint32_t)p1;
        c3[j] = (uint32_t)p0;
        c0[j] = n0;
        c2[j] = n2;
      }
      a += 0x9e3779b9u;
      b += 0xbb67ae85u;
    }
    uint32_t* o = out + 4 * i;
    for (long j = 0; j < PG; j++) {
      o[4 * j] = c0[j];
      o[4 * j + 1] = c1[j];
      o[4 * j + 2] = c2[j];
      o[4 * j + 3] = c3[j];
    }
  }
  if (i > 0) {
    const uint64_t c = ((uint64_t)hi << 32 | lo) + (uint64_t)i;
    lo = (uint32_t)c;
    hi = (uint32_t)(c >> 32);
  }
  for (; i < n; i++) {
    uint32_t c0 = lo, c1 = hi, c2 = 0, c3 = 0, a = k0, b = k1;
    for (int r = 0; r < 10; r++) {
      const uint64_t p0 = (uint64_t)0xd2511f53u * c0, p1 = (uint64_t)0xcd9e8d57u * c2;
      const uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0, hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
      c0 = hi1 ^ c1 ^ a;
      c1 = lo1;
      c2 = hi0 ^ c3 ^ b;
      c3 = lo0;
      a += 0x9e3779b9u;
      b += 0xbb67ae85u;
    }
    out[4 * i] = c0;
    out[4 * i + 1] = c1;
    out[4 * i + 2] = c2;
    out[4 * i + 3] = c3;
    if (++lo == 0) ++hi;
  }
}

/** out[i], out[i + 1] (when i + 1 < n) from one block by Box-Muller in double (see normals_from_blocks). */
__attribute__((optimize("fp-contract=off"))) static inline void box_muller(const uint32_t* b, double mean, double sd, float* out,
                                                                         long i, long n) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
  const double u1 = 1.0 - ((double)(b[0] >> 5) * 67108864.0 + (double)(b[1] >> 6)) / 9007199254740992.0;
  const double u2 = ((double)(b[2] >> 5) * 67108864.0 + (double)(b[3] >> 6)) / 9007199254740992.0;
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double a = 2.0 * 3.141592653589793 * u2;
  double sn, cs;
#if defined(__GLIBC__)
  sincos(a, &sn, &cs);  // one call, the same values as sin and cos
#else
  sn = std::sin(a);
  cs = std::cos(a);
#endif
  out[i] = (float)(mean + sd * r * cs);
  if (i + 1 < n) out[i + 1] = (float)(mean + sd * r * sn);
}

/** mean + sd r cos and mean + sd r sin, rounded step by step as the scalar formula (no fused multiply-add). */
__attribute__((noinline, optimize("fp-contract=off"))) static void normal_pairs(double mean, double sd, vmath::vd r,
                                                                              vmath::vd cv, vmath::vd sv, double* co,
                                                                              double* s) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
  const vmath::vd sr = sd * r;
  const vmath::vd cOut = mean + sr * cv, sOut = mean + sr * sv;
  std::memcpy(co, &cOut, sizeof cOut);
  std::memcpy(s, &sOut, sizeof sOut);
}

void normals_from_blocks(float* out, long n, uint32_t k0, uint32_t k1,
                                                                       uint32_t lo, uint32_t hi, double mean, double sd) {
  constexpr long CH = 256;  // blocks per chunk
  uint32_t blocks[4 * CH];
  const long pairs = (n + 1) / 2;
  for (long p0 = 0; p0 < pairs; p0 += CH) {
    const long m = std::min(CH, pairs - p0);
    const uint64_t c = (uint64_t)lo + (uint64_t)p0;
    philox_blocks(blocks, k0, k1, (uint32_t)c, hi + (uint32_t)(c >> 32), m);
    long q = 0;
    // a register of pairs at a time: the same formula with vector log and sin / cos in double
    using vmath::DW;
    for (; q + DW <= m && 2 * (p0 + q + DW) <= n; q += DW) {
      double u1[DW], u2[DW], s[DW], co[DW];
      for (int j = 0; j < DW; j++) {
        const uint32_t* b = blocks + 4 * (q + j);
        u1[j] = 1.0 - ((double)(b[0] >> 5) * 67108864.0 + (double)(b[1] >> 6)) / 9007199254740992.0;
        u2[j] = ((double)(b[2] >> 5) * 67108864.0 + (double)(b[3] >> 6)) / 9007199254740992.0;
      }
      vmath::vd v1, v2;
      std::memcpy(&v1, u1, sizeof v1);
      std::memcpy(&v2, u2, sizeof v2);
      const vmath::vd r = vmath::sqrt(-2.0 * vmath::log(v1));
      vmath::vd sv, cv;
      vmath::sincos((2.0 * 3.141592653589793) * v2, &sv, &cv);
      normal_pairs(mean, sd, r, cv, sv, co, s);
      float* o = out + 2 * (p0 + q);
      for (int j = 0; j < DW; j++) {
        o[2 * j] = (float)co[j];
        o[2 * j + 1] = (float)s[j];
      }
    }
    for (; q < m; q++) box_muller(blocks + 4 * q, mean, sd, out, 2 * (p0 + q), n);
  }
}

// ---------------------------------------------------------------------------------------------
// the tanh-latent terms of a log-target (src/estimators/posterior-mean.ts, tanhLatentLogTarget)

static thread_local float* tl_lc = nullptr;
static thread_local long tl_lc_cap = 0;

/**
 * value[i] = v[i] + sum_j -2 logcosh(y[i, j]); grad[i, j] = g[i, j] (1 - a[i, j]^2) - 2 a[i, j]
 * (a = tanh y). Each step rounded to float as the engine's composition rounds it (logcosh by the
 * unary kernel, the row sum as `reduce`'s, products and sums unfused): the same numbers.
 */
__attribute__((optimize("fp-contract=off"))) void tanh_latent_terms(const float* y, const float* a, const float* v,
                                                                   const float* g, long n, long d, float* value,
                                                                   float* grad) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
  const long nd = n * d;
  if (nd > tl_lc_cap) {
    std::free(tl_lc);
    tl_lc_cap = std::max(nd, 2 * tl_lc_cap);
    tl_lc = static_cast<float*>(std::malloc((size_t)tl_lc_cap * sizeof(float)));
  }
  float* lc = tl_lc;
  unary(U_LOGCOSH, y, lc, nd, 0, 0);
  for (long k = 0; k < nd; k++) lc[k] = lc[k] * -2.0f;
  for (long i = 0; i < n; i++) value[i] = v[i] + (float)sum_contig(lc + i * d, d);
  for (long k = 0; k < nd; k++) {
    const float sq = (float)((double)a[k] * a[k]);
    grad[k] = g[k] * (-sq + 1.0f) - a[k] * 2.0f;
  }
}

// ---------------------------------------------------------------------------------------------
// the accuracy tests' hook

bool vmath_eval(const char* name, const double* x, double* out, long n) {
  using vmath::vd;
  using vmath::vf;
  using vmath::DW;
  using vmath::VW;
  // float functions: x rounded to float, the float result widened
  struct F {
    const char* name;
    vf (*f)(vf);
  };
  static constexpr F FLOATS[] = {
      {"exp", [](vf v) { return vmath::exp(v); }},         {"sigmoid", [](vf v) { return vmath::sigmoid(v); }},
      {"tanh", [](vf v) { return vmath::tanh(v); }},       {"gelu", [](vf v) { return vmath::gelu(v); }},
      {"silu", [](vf v) { return vmath::silu(v); }},       {"gelu_grad", [](vf v) { return vmath::gelu_grad(v); }},
      {"silu_grad", [](vf v) { return vmath::silu_grad(v); }},
  };
  for (const F& f : FLOATS) {
    if (std::strcmp(name, f.name) != 0) continue;
    for (long i = 0; i < n; i += VW) {
      float t[VW] = {};
      const int cnt = (int)std::min<long>(VW, n - i);
      for (int j = 0; j < cnt; j++) t[j] = (float)x[i + j];
      vmath::storeu(t, f.f(vmath::loadu(t)));
      for (int j = 0; j < cnt; j++) out[i + j] = t[j];
    }
    return true;
  }
  // double functions
  const int which = std::strcmp(name, "log") == 0 ? 0 : std::strcmp(name, "exp_neg") == 0 ? 1 : std::strcmp(name, "sin") == 0 ? 2
                    : std::strcmp(name, "cos") == 0 ? 3 : std::strcmp(name, "logcosh") == 0 ? 4 : -1;
  if (which < 0) return false;
  for (long i = 0; i < n; i += DW) {
    double t[DW];
    const int cnt = (int)std::min<long>(DW, n - i);
    for (int j = 0; j < DW; j++) t[j] = j < cnt ? x[i + j] : 1.0;
    vd v;
    std::memcpy(&v, t, sizeof v);
    vd r, sn, cs;
    switch (which) {
      case 0: r = vmath::log(v); break;
      case 1: r = vmath::exp_neg(v); break;
      case 4: r = vmath::logcosh(v); break;
      default:
        vmath::sincos(v, &sn, &cs);
        r = which == 2 ? sn : cs;
    }
    std::memcpy(t, &r, sizeof t);
    for (int j = 0; j < cnt; j++) out[i + j] = t[j];
  }
  return true;
}

RFM_TIER_END
