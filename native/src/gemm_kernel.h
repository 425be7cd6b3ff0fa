// Internals shared by the GEMM (gemm.cc) and the fused model kernels (fused.cc) of one
// instruction-set tier: the vector type of the micro-kernel, its tile sizes, and the GEMM's
// epilogue and problem descriptions. Included only by tier sources (see common.h, RFM_TIER).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "common.h"
#include "pool.h"
#include "vmath.h"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

RFM_TIER_BEGIN

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
  static inline Vec relu(Vec a) { return {_mm512_max_ps(a.v, _mm512_setzero_ps())}; }  // NaN -> 0
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
  static inline Vec relu(Vec a) { return {_mm256_max_ps(a.v, _mm256_setzero_ps())}; }  // NaN -> 0
  static inline __m256i mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static inline Vec load_n(const float* p, int n) { return {_mm256_maskload_ps(p, mask(n))}; }
  static inline void store_n(float* p, Vec a, int n) { _mm256_maskstore_ps(p, mask(n), a.v); }
};
constexpr int MR = 6, NR = 16;
#else
// baseline x86-64 (SSE2) and NEON: the vector extension's 4 floats
struct Vec {
  static constexpr int W = vmath::VW;
  vmath::vf v;
  static inline Vec zero() { return {vmath::vf{}}; }
  static inline Vec load(const float* p) { return {vmath::loadu(p)}; }
  static inline Vec bcast(const float* p) { return {vmath::set(*p)}; }
  static inline Vec fma(Vec a, Vec b, Vec c) { return {a.v * b.v + c.v}; }
  static inline Vec add(Vec a, Vec b) { return {a.v + b.v}; }
  static inline void store(float* p, Vec a) { vmath::storeu(p, a.v); }
  static inline Vec relu(Vec a) { return {vmath::vmax(a.v, vmath::vf{})}; }  // NaN -> 0
  static inline Vec load_n(const float* p, int n) { return {vmath::load_n(p, n)}; }
  static inline void store_n(float* p, Vec a, int n) { vmath::store_n(p, a.v, n); }
};
constexpr int MR = 6, NR = 8;
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

/**
 * The epilogue fused into the micro-kernel: z = x + bias row, C = z and y = act(z) (+ res), or
 * C = act(z) (+ res) when y is null. bias points at the tile's first column of bias row 0; with
 * biasRowDiv > 0, tile row i uses bias row (row0 + i) / biasRowDiv (biasLd apart).
 */
struct TileEpi {
  const float* bias;
  long biasRowDiv, biasLd, row0;
  int act;
  float* y;  // tile's top-left element of y, or null (then the result goes to C)
  long ldy;
  const float* res;  // tile's top-left element of the residual, or null
  long ldr;
};

/** Activations the micro-kernel applies in registers (the others run after each strip). */
static inline bool tile_act(int act) {
  return act == ACT_NONE || act == U_RELU || act == U_GELU || act == U_SILU || act == U_TANH || act == U_SIGMOID;
}

static inline Vec tile_activate(int act, Vec x) {
  if (act == ACT_NONE) return x;
  if (act == U_RELU) return Vec::relu(x);
  static_assert(sizeof(x.v) == sizeof(vmath::vf), "the micro-kernel's vectors are vmath's");
  return {(decltype(x.v))vmath::act(act, (vmath::vf)x.v)};
}

/**
 * What to do to a finished block of C: add a bias row, apply act, write to y (may be C itself),
 * then add a residual. With biasRowDiv > 0 the bias has one row per group of biasRowDiv rows
 * (row i adds bias[(i / biasRowDiv) * N + j]); else a single row. res (ldr) is [M, N] or null.
 */
struct Epilogue {
  const float* bias;
  int act;
  float* y;
  long ldy;
  long biasRowDiv;
  long biasLd;
  const float* res;
  long ldr;
  long row0 = 0;  // absolute index of c's row 0 (for the bias groups)
};
void apply_epilogue(const Epilogue* ep, float* c, long ldc, long i0, long rows, long j0, long cols);

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

/** Threaded or not for a problem of `flops` (false inside a SerialScope). */
bool worth_threads(double flops);
/** The smallest problem, in flops, worth handing to the workers (RFM_PAR_FLOPS). */
double par_min_flops();
/** While alive (and `on`), this thread's kernels run without the workers. */
struct SerialScope {
  bool prev;
  explicit SerialScope(bool on);
  ~SerialScope();
};

/**
 * C [rows, N] = A [rows, K] B for a block of rows, B packed into panels of NR columns, K deep (at
 * most BLOCK_MAX_DEPTH), with the tile epilogue `ep` or none (see gemm.cc).
 */
void block_gemm(const float* A, long lda, long rows, long K, const float* bp, long N, float* C, long ldc,
                const TileEpi* ep, float* apack);
/** Packs B(k, j) = b[k * rs + j * cs] (K x N) into NR-wide panels at out; returns the floats used. */
long pack_b_all(const float* b, long rs, long cs, long K, long N, float* out);
/** Floats of K x N packed into panels. */
long packed_size(long K, long N);
/** C [rows, N <= 8] by dot products, any N from 1 to 8. */
void dots_any(const Gemm& g, long rows);

RFM_TIER_END
