// Packed, register-blocked single-precision GEMM and the fused linear-layer kernels.
//
// Layout of the computation (C [M,N] += op(A) [M,K] op(B) [K,N], all row-major):
//   for each column block jc (NC columns) and depth block pc (KC deep):
//     the threads together pack B[pc.., jc..] into NR-wide panels (zero padded), then
//     each thread walks its own MR-row strips of C: the strip's A rows stay in L1 while the
//     micro-kernel sweeps the B panels (which stay in L2), writing MR x NR tiles of C.
// A is used in place when it is stored row-major (its MR rows x KC are contiguous runs); when it
// is stored transposed, or for the last partial strip, the strip is packed (k-major, MR wide).
// Work is split over rows of C between the threads (over columns when C has few rows).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "common.h"

#ifdef _OPENMP
#include <omp.h>
#else
static inline int omp_get_thread_num() { return 0; }
static inline int omp_get_num_threads() { return 1; }
#endif
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace rfm {

int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

// ---------------------------------------------------------------------------------------------
// vectors: one small wrapper per instruction set, so one micro-kernel template serves all

#if defined(__AVX512F__)
struct Vec {
  static constexpr int W = 16;
  __m512 v;
  static inline Vec zero() { return {_mm512_setzero_ps()}; }
  static inline Vec load(const float* p) { return {_mm512_loadu_ps(p)}; }
  static inline Vec bcast(const float* p) { return {_mm512_set1_ps(*p)}; }
  static inline Vec fma(Vec a, Vec b, Vec c) { return {_mm512_fmadd_ps(a.v, b.v, c.v)}; }
  static inline Vec add(Vec a, Vec b) { return {_mm512_add_ps(a.v, b.v)}; }
  static inline void store(float* p, Vec a) { _mm512_storeu_ps(p, a.v); }
  static inline Vec load_n(const float* p, int n) { return {_mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p)}; }
  static inline void store_n(float* p, Vec a, int n) { _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), a.v); }
};
constexpr int MR = 12, NR = 32;
#elif defined(__AVX2__) && defined(__FMA__)
struct Vec {
  static constexpr int W = 8;
  __m256 v;
  static inline Vec zero() { return {_mm256_setzero_ps()}; }
  static inline Vec load(const float* p) { return {_mm256_loadu_ps(p)}; }
  static inline Vec bcast(const float* p) { return {_mm256_broadcast_ss(p)}; }
  static inline Vec fma(Vec a, Vec b, Vec c) { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
  static inline Vec add(Vec a, Vec b) { return {_mm256_add_ps(a.v, b.v)}; }
  static inline void store(float* p, Vec a) { _mm256_storeu_ps(p, a.v); }
  static inline __m256i mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static inline Vec load_n(const float* p, int n) { return {_mm256_maskload_ps(p, mask(n))}; }
  static inline void store_n(float* p, Vec a, int n) { _mm256_maskstore_ps(p, mask(n), a.v); }
};
constexpr int MR = 6, NR = 16;
#else
struct Vec {
  static constexpr int W = 4;
  float v[4];
  static inline Vec zero() { return {{0, 0, 0, 0}}; }
  static inline Vec load(const float* p) { return {{p[0], p[1], p[2], p[3]}}; }
  static inline Vec bcast(const float* p) { return {{*p, *p, *p, *p}}; }
  static inline Vec fma(Vec a, Vec b, Vec c) {
    for (int i = 0; i < 4; i++) c.v[i] = std::fma(a.v[i], b.v[i], c.v[i]);
    return c;
  }
  static inline Vec add(Vec a, Vec b) {
    for (int i = 0; i < 4; i++) a.v[i] += b.v[i];
    return a;
  }
  static inline void store(float* p, Vec a) { std::memcpy(p, a.v, sizeof a.v); }
  static inline Vec load_n(const float* p, int n) {
    Vec r = zero();
    for (int i = 0; i < n; i++) r.v[i] = p[i];
    return r;
  }
  static inline void store_n(float* p, Vec a, int n) {
    for (int i = 0; i < n; i++) p[i] = a.v[i];
  }
};
constexpr int MR = 4, NR = 8;
#endif
constexpr int NV = NR / Vec::W;  // vectors per row of a tile

// ---------------------------------------------------------------------------------------------
// buffers: grown on demand, never shrunk, one set per calling thread

struct Buffer {
  float* p = nullptr;
  size_t cap = 0;
  float* get(size_t n) {
    if (n > cap) {
      std::free(p);
      cap = std::max(n, cap * 3 / 2);
      p = static_cast<float*>(std::aligned_alloc(64, ((cap * sizeof(float) + 63) / 64) * 64));
    }
    return p;
  }
  ~Buffer() { std::free(p); }
};
static thread_local Buffer tl_bpack;  // packed B (owned by the thread that calls gemm)
static thread_local Buffer tl_apack;  // one packed A strip per worker thread
static thread_local Buffer tl_misc;   // partial column sums etc.

// ---------------------------------------------------------------------------------------------
// the micro-kernel: C[mr, nr] (+)= A[mr, kc] * Bp[kc, NR]
//   PACKED: A is packed k-major (a[k * MR + i]); else A is row-major with row stride lda.
//   Bp: kc rows of NR floats. Columns >= nr and rows >= mr of C are not touched.

template <bool PACKED>
static inline void micro(long kc, const float* __restrict a, long lda, const float* __restrict b, float* __restrict c,
                         long ldc, int mr, int nr, bool accum) {
  Vec acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[i][v] = Vec::zero();

  if (PACKED) {
#pragma GCC unroll 2
    for (long k = 0; k < kc; k++) {
      Vec bv[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) bv[v] = Vec::load(b + v * Vec::W);
#pragma GCC unroll 16
      for (int i = 0; i < MR; i++) {
        Vec av = Vec::bcast(a + i);
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) acc[i][v] = Vec::fma(av, bv[v], acc[i][v]);
      }
      a += MR;
      b += NR;
    }
  } else {
    // row pointers every three rows; the others are reached as r[lda], r[2 * lda]
    const float* r[(MR + 2) / 3];
#pragma GCC unroll 8
    for (int q = 0; q < (MR + 2) / 3; q++) r[q] = a + 3 * q * lda;
#pragma GCC unroll 2
    for (long k = 0; k < kc; k++) {
      Vec bv[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) bv[v] = Vec::load(b + v * Vec::W);
#pragma GCC unroll 16
      for (int i = 0; i < MR; i++) {
        Vec av = Vec::bcast(r[i / 3] + (i % 3) * lda + k);
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) acc[i][v] = Vec::fma(av, bv[v], acc[i][v]);
      }
      b += NR;
    }
  }

  if (nr == NR) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      if (i >= mr) break;
      float* ci = c + i * ldc;
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        Vec x = accum ? Vec::add(acc[i][v], Vec::load(ci + v * Vec::W)) : acc[i][v];
        Vec::store(ci + v * Vec::W, x);
      }
    }
  } else {
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      if (i >= mr) break;
      float* ci = c + i * ldc;
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        int cnt = nr - v * Vec::W;
        if (cnt <= 0) break;
        if (cnt >= Vec::W) {
          Vec x = accum ? Vec::add(acc[i][v], Vec::load(ci + v * Vec::W)) : acc[i][v];
          Vec::store(ci + v * Vec::W, x);
        } else {
          Vec x = accum ? Vec::add(acc[i][v], Vec::load_n(ci + v * Vec::W, cnt)) : acc[i][v];
          Vec::store_n(ci + v * Vec::W, x, cnt);
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// packing

/** Panel of B: kc rows x NR columns (w valid), from B(k, j) at b[k * rs + j * cs]. */
static void pack_b_panel(const float* b, long rs, long cs, long kc, int w, float* __restrict out) {
  if (cs == 1) {
    for (long k = 0; k < kc; k++) {
      const float* src = b + k * rs;
      float* dst = out + k * NR;
      if (w == NR) {
        std::memcpy(dst, src, NR * sizeof(float));
      } else {
        int j = 0;
        for (; j < w; j++) dst[j] = src[j];
        for (; j < NR; j++) dst[j] = 0;
      }
    }
  } else {
    // transposed source: read along k (contiguous when rs == 1), write with stride NR
    if (w < NR)
      for (long k = 0; k < kc; k++)
        for (int j = w; j < NR; j++) out[k * NR + j] = 0;
    constexpr int KB = 8;
    long k0 = 0;
    for (; k0 + KB <= kc; k0 += KB) {
      for (int j = 0; j < w; j++) {
        const float* src = b + j * cs + k0 * rs;
        float* dst = out + k0 * NR + j;
#pragma GCC unroll 8
        for (int kk = 0; kk < KB; kk++) dst[kk * NR] = src[kk * rs];
      }
    }
    for (; k0 < kc; k0++)
      for (int j = 0; j < w; j++) out[k0 * NR + j] = b[j * cs + k0 * rs];
  }
}

/** Strip of A: MR rows (mr valid, rest zero) x kc, k-major, from A(i, k) at a[i * rs + k * cs]. */
static void pack_a_strip(const float* a, long rs, long cs, long kc, int mr, float* __restrict out) {
  if (rs == 1) {
    for (long k = 0; k < kc; k++) {
      const float* src = a + k * cs;
      float* dst = out + k * MR;
      int i = 0;
      for (; i < mr; i++) dst[i] = src[i];
      for (; i < MR; i++) dst[i] = 0;
    }
  } else {
    for (int i = 0; i < mr; i++)
      for (long k = 0; k < kc; k++) out[k * MR + i] = a[i * rs + k * cs];
    for (int i = mr; i < MR; i++)
      for (long k = 0; k < kc; k++) out[k * MR + i] = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// the driver

/** What to do to a finished block of C: add bias[j], apply act, write to y (may be C itself). */
struct Epilogue {
  const float* bias;
  int act;
  float* y;
  long ldy;
};

static void apply_epilogue(const Epilogue* ep, float* c, long ldc, long i0, long rows, long j0, long cols) {
  if (!ep || rows <= 0 || cols <= 0) return;
  float* z = c + i0 * ldc + j0;
  if (ep->bias) {
    const float* bj = ep->bias + j0;
    for (long i = 0; i < rows; i++) {
      float* zi = z + i * ldc;
      for (long j = 0; j < cols; j++) zi[j] += bj[j];
    }
  }
  if (ep->act != ACT_NONE || ep->y != c) activate_rows(ep->act, z, ldc, ep->y + i0 * ep->ldy + j0, ep->ldy, rows, cols);
}

struct Gemm {
  const float* A;
  long rsa, csa;  // A(i, k) = A[i * rsa + k * csa]
  const float* B;
  long rsb, csb;  // B(k, j) = B[k * rsb + j * csb]
  float* C;
  long ldc;
  long M, N, K;
  bool accumulate;
  const Epilogue* ep;
};

static inline long ceil_div(long a, long b) { return (a + b - 1) / b; }

/** Depth blocking: one block up to 512 deep, else equal blocks of at most 384. */
static long pick_kc(long K) {
  if (K <= 512) return K;
  long nb = ceil_div(K, 384);
  return ceil_div(K, nb);
}

static void gemm(const Gemm& g, int nthreads) {
  const long M = g.M, N = g.N, K = g.K;
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!g.accumulate)
      for (long i = 0; i < M; i++) std::memset(g.C + i * g.ldc, 0, N * sizeof(float));
    apply_epilogue(g.ep, g.C, g.ldc, 0, M, 0, N);
    return;
  }
  const long kcMax = pick_kc(K);
  // column blocks: keep a packed block of B near 1 MiB (it lives in L2)
  long ncMax = std::max<long>(NR, ((1L << 18) / kcMax) / NR * NR);
  if (N <= ncMax + ncMax / 2) ncMax = N;
  const long panelsMax = ceil_div(ncMax, NR);
  const long bBlock = panelsMax * NR * kcMax;
  const long strips = ceil_div(M, MR);
  // few strips of rows: split the columns instead (each thread packs its own panels)
  const bool splitRows = strips >= 4L * nthreads || panelsMax < nthreads;
  if (strips < nthreads && panelsMax < nthreads) nthreads = 1;
  float* bpack = tl_bpack.get(2 * bBlock);

  auto body = [&](int tid, int nt) {
    float* apack = tl_apack.get((size_t)MR * kcMax);
    const bool aRowMajor = g.csa == 1;
    long s0 = 0, s1 = strips;
    if (splitRows && nt > 1) {
      s0 = strips * tid / nt;
      s1 = strips * (tid + 1) / nt;
    }
    long q = 0;
    for (long jc = 0; jc < N; jc += ncMax) {
      const long nc = std::min(ncMax, N - jc);
      const long panels = ceil_div(nc, NR);
      long p0 = 0, p1 = panels;
      if (!splitRows && nt > 1) {
        p0 = panels * tid / nt;
        p1 = panels * (tid + 1) / nt;
      }
      for (long pc = 0; pc < K; pc += kcMax, q++) {
        const long kc = std::min(kcMax, K - pc);
        const bool last = pc + kc >= K;
        const bool accum = g.accumulate || pc > 0;
        float* bp = bpack + (q & 1) * bBlock;
        // pack B: together (round robin over panels) when splitting rows, else each its own
        for (long p = splitRows ? tid : p0; p < (splitRows ? panels : p1); p += splitRows ? nt : 1) {
          const long j = jc + p * NR;
          pack_b_panel(g.B + pc * g.rsb + j * g.csb, g.rsb, g.csb, kc, (int)std::min<long>(NR, N - j), bp + p * NR * kc);
        }
#ifdef _OPENMP
        if (splitRows && nt > 1) {
#pragma omp barrier
        }
#endif
        for (long s = s0; s < s1; s++) {
          const long i0 = s * MR;
          const int mr = (int)std::min<long>(MR, M - i0);
          const float* a = g.A + i0 * g.rsa + pc * g.csa;
          const bool packA = !aRowMajor || mr < MR;
          if (packA) pack_a_strip(a, g.rsa, g.csa, kc, mr, apack);
          float* crow = g.C + i0 * g.ldc;
          for (long p = p0; p < p1; p++) {
            const long j = jc + p * NR;
            const int nr = (int)std::min<long>(NR, N - j);
            if (packA)
              micro<true>(kc, apack, 0, bp + p * NR * kc, crow + j, g.ldc, mr, nr, accum);
            else
              micro<false>(kc, a, g.rsa, bp + p * NR * kc, crow + j, g.ldc, mr, nr, accum);
          }
          if (last && g.ep) {
            const long jlo = jc + p0 * NR, jhi = std::min(N, jc + p1 * NR);
            apply_epilogue(g.ep, g.C, g.ldc, i0, mr, jlo, jhi - jlo);
          }
        }
      }
    }
  };

#ifdef _OPENMP
  if (nthreads > 1) {
#pragma omp parallel num_threads(nthreads)
    body(omp_get_thread_num(), omp_get_num_threads());
    return;
  }
#endif
  body(0, 1);
}

/** Threads worth using for a problem of `flops` (forking costs a few microseconds). */
static int threads_for(double flops) { return flops < 3e5 ? 1 : max_threads(); }

/** C [M,N] (+)= A [M,K] B[N,K]^T for very narrow C: one dot product per element. */
static void gemm_dots(const float* A, const float* B, float* C, long M, long N, long K, bool accumulate,
                      const Epilogue* ep) {
  const int nt = threads_for(2.0 * M * N * K);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (long i = 0; i < M; i++) {
    const float* ai = A + i * K;
    for (long j = 0; j < N; j++) {
      const float* bj = B + j * K;
      float s = 0;
      // a few independent partial sums (vectorisable without reassociating a single chain)
      float part[16] = {0};
      long k = 0;
      for (; k + 16 <= K; k += 16)
        for (int u = 0; u < 16; u++) part[u] = std::fma(ai[k + u], bj[k + u], part[u]);
      for (int u = 0; u < 16; u++) s += part[u];
      for (; k < K; k++) s = std::fma(ai[k], bj[k], s);
      C[i * N + j] = accumulate ? C[i * N + j] + s : s;
    }
    if (ep) apply_epilogue(ep, C, N, i, 1, 0, N);
  }
}

void matmul(const float* A, const float* B, float* C, long M, long N, long K, bool transA, bool transB,
            bool accumulate, long batch, long strideA, long strideB, long strideC) {
  auto one = [&](long q, int nt) {
    Gemm g;
    g.A = A + q * strideA;
    g.rsa = transA ? 1 : K;
    g.csa = transA ? M : 1;
    g.B = B + q * strideB;
    g.rsb = transB ? 1 : N;
    g.csb = transB ? K : 1;
    g.C = C + q * strideC;
    g.ldc = N;
    g.M = M;
    g.N = N;
    g.K = K;
    g.accumulate = accumulate;
    g.ep = nullptr;
    gemm(g, nt);
  };
  const double flops = 2.0 * M * N * K;
  const int nt = threads_for(flops);
  if (batch > 1 && nt > 1 && flops < 4e6) {
    // many small problems: one per thread at a time
#pragma omp parallel for num_threads(nt) schedule(static)
    for (long q = 0; q < batch; q++) one(q, 1);
  } else if (batch > 1 && nt == 1 && flops * batch >= 3e5 && max_threads() > 1) {
#pragma omp parallel for num_threads(max_threads()) schedule(static)
    for (long q = 0; q < batch; q++) one(q, 1);
  } else {
    for (long q = 0; q < batch; q++) one(q, nt);
  }
}

void linear(const float* x, const float* w, const float* bias, float* y, float* pre, long M, long N, long K, int act) {
  Epilogue ep{bias, act, y, N};
  float* z = pre ? pre : y;
  const bool needEp = bias || act != ACT_NONE || pre;
  if (N <= 4) {
    gemm_dots(x, w, z, M, N, K, false, needEp ? &ep : nullptr);
    return;
  }
  Gemm g{x, K, 1, w, 1, K, z, N, M, N, K, false, needEp ? &ep : nullptr};
  gemm(g, threads_for(2.0 * M * N * K));
}

/** gz = gy * act'(z, y) over rows [i0, i1); adds the column sums of gz into colsum (n floats). */
static void grad_pre(int act, const float* z, const float* y, const float* gy, float* gz, long i0, long i1, long N,
                     float* colsum) {
  for (long i = i0; i < i1; i++) {
    const float* zi = z + i * N;
    const float* gi = gy + i * N;
    float* o = gz + i * N;
    switch (act) {
      case ACT_NONE:
        for (long j = 0; j < N; j++) o[j] = gi[j];
        break;
      case U_RELU:
        for (long j = 0; j < N; j++) o[j] = gi[j] * (zi[j] > 0 ? 1.0f : 0.0f);
        break;
      default:
        unary_backward(act, zi, y + i * N, gi, o, N, 0, 0);
    }
    if (colsum)
      for (long j = 0; j < N; j++) colsum[j] += o[j];
  }
}

void linear_backward(const float* x, const float* w, const float* pre, const float* y, const float* gy, float* gx,
                     float* gw, float* gb, float* scratch, long M, long N, long K, int act, bool accumulate) {
  // gz and the bias gradient in one pass over the rows (partial column sums per thread)
  const int nt = threads_for(8.0 * M * N);
  float* partial = gb ? tl_misc.get((size_t)nt * N) : nullptr;
  if (nt > 1) {
#pragma omp parallel num_threads(nt)
    {
      const int t = omp_get_thread_num(), n = omp_get_num_threads();
      float* cs = partial ? partial + t * N : nullptr;
      if (cs) std::memset(cs, 0, N * sizeof(float));
      grad_pre(act, pre, y, gy, scratch, M * t / n, M * (t + 1) / n, N, cs);
    }
  } else {
    if (partial) std::memset(partial, 0, N * sizeof(float));
    grad_pre(act, pre, y, gy, scratch, 0, M, N, partial);
  }
  if (gb) {
    for (long j = 0; j < N; j++) {
      float s = partial[j];
      for (int t = 1; t < nt; t++) s += partial[t * N + j];
      gb[j] = accumulate ? gb[j] + s : s;
    }
  }
  // gx [M,K] = gz [M,N] W [N,K]
  if (gx) matmul(scratch, w, gx, M, K, N, false, false, false, 1, 0, 0, 0);
  // gw [N,K] (+)= gz^T [N,M] x [M,K]
  if (gw) matmul(scratch, x, gw, N, K, M, true, false, accumulate, 1, 0, 0, 0);
}

}  // namespace rfm
