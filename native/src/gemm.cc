// Packed, register-blocked single-precision GEMM and the fused linear layer (forward, backward).
//
// Layout of the computation (C [M,N] += op(A) [M,K] op(B) [K,N], all row-major):
//   for each column block jc (NC columns) and depth block pc (KC deep):
//     the threads together pack B[pc.., jc..] into NR-wide panels (zero padded), then
//     each thread walks its own MR-row strips of C: the strip's A rows stay in L1 while the
//     micro-kernel sweeps the B panels (which stay in L2), writing MR x NR tiles of C.
// A is used in place when it is stored row-major (its MR rows x KC are contiguous runs); when it
// is stored transposed, or for the last partial strip, the strip is packed (k-major, MR wide).
// Work is split over rows of C between the threads (over columns when C has few rows).
#include <atomic>
#include <vector>

#include "gemm_kernel.h"

RFM_TIER_BEGIN

static thread_local Buffer tl_bpack;  // packed B (owned by the thread that calls gemm)
static thread_local Buffer tl_apack;  // one packed A strip per worker thread
static thread_local Buffer tl_misc;   // partial column sums etc.

// ---------------------------------------------------------------------------------------------
// the micro-kernel: C[mr, nr] (+)= A[mr, kc] * Bp[kc, NR]
//   PACKED: A is packed k-major (a[k * MR + i]); else A is row-major with row stride lda.
//   Bp: kc rows of NR floats. Columns >= nr and rows >= mr of C are not touched.

/**
 * The fused epilogue's activation OP over mr full-width rows of a tile: z (row stride ldz, the
 * pre-activations) to ep->y (or in place), plus ep->res; R rows at a time (all their vectors
 * loaded before any is stored: y may be z).
 */
template <int OP, int R>
static inline void heavy_group(const float* z, long ldz, float* y, long ldy, const float* res, long ldr) {
  Vec x[R][NV];
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) x[r][v] = Vec::load(z + r * ldz + v * Vec::W);
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) x[r][v] = tile_activate(OP, x[r][v]);
  if (res)
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) x[r][v] = Vec::add(x[r][v], Vec::load(res + r * ldr + v * Vec::W));
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) Vec::store(y + r * ldy + v * Vec::W, x[r][v]);
}
template <int OP>
static void heavy_rows(const float* c, long ldc, const TileEpi* ep, int mr) {
  float* y = ep->y ? ep->y : const_cast<float*>(c);
  const long ldy = ep->y ? ep->ldy : ldc;
  int i = 0;
  for (; i + 2 <= mr; i += 2)
    heavy_group<OP, 2>(c + i * ldc, ldc, y + i * ldy, ldy, ep->res ? ep->res + i * ep->ldr : nullptr, ep->ldr);
  if (i < mr) heavy_group<OP, 1>(c + i * ldc, ldc, y + i * ldy, ldy, ep->res ? ep->res + i * ep->ldr : nullptr, ep->ldr);
}

template <bool PACKED, bool EPI>
static inline void micro(long kc, const float* __restrict a, long lda, const float* __restrict b, float* __restrict c,
                         long ldc, int mr, int nr, bool accum, const TileEpi* ep) {
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

  // write back: x = acc (+ C); with the fused epilogue z = x + bias, C = z and y = act(z) (+ res)
  // (or C = act(z) (+ res) when there is no separate y)
  Vec bias[NV];
  const bool grouped = EPI && ep->bias && ep->biasRowDiv > 0;
  const bool heavy = EPI && ep->act != ACT_NONE && ep->act != U_RELU;
  long biasRow = -1;
  auto load_bias = [&](const float* bp) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      const int cnt = nr - v * Vec::W;
      bias[v] = !bp || cnt <= 0 ? Vec::zero() : cnt >= Vec::W ? Vec::load(bp + v * Vec::W) : Vec::load_n(bp + v * Vec::W, cnt);
    }
  };
  if (EPI && !grouped) load_bias(ep->bias);
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
    if (i >= mr) break;
    if (grouped) {
      const long r = (ep->row0 + i) / ep->biasRowDiv;
      if (r != biasRow) {
        biasRow = r;
        load_bias(ep->bias + r * ep->biasLd);
      }
    }
    float* ci = c + i * ldc;
    float* yi = EPI && ep->y ? ep->y + i * ep->ldy : nullptr;
    const float* ri = EPI && ep->res ? ep->res + i * ep->ldr : nullptr;
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      const int cnt = nr - v * Vec::W;
      if (cnt <= 0) break;
      const bool full = cnt >= Vec::W;
      float* cp = ci + v * Vec::W;
      Vec x = acc[i][v];
      if (accum) x = Vec::add(x, full ? Vec::load(cp) : Vec::load_n(cp, cnt));
      if (EPI && heavy) {
        x = Vec::add(x, bias[v]);  // C = z now; the activation follows below
      } else if (EPI) {
        x = Vec::add(x, bias[v]);
        Vec out = tile_activate(ep->act, x);
        if (ri) out = Vec::add(out, full ? Vec::load(ri + v * Vec::W) : Vec::load_n(ri + v * Vec::W, cnt));
        if (yi) {
          if (full) Vec::store(yi + v * Vec::W, out);
          else Vec::store_n(yi + v * Vec::W, out, cnt);
        } else {
          x = out;
        }
      }
      if (full) Vec::store(cp, x);
      else Vec::store_n(cp, x, cnt);
    }
  }
  if (EPI && heavy) {
    // transcendental activations from the tile just written (in L1): applied in registers above,
    // the accumulators would spill. Full-width tiles go two rows at a time with the activation
    // fixed at compile time, so that 2 NV independent evaluations overlap (one at a time, each
    // waits on its own long chain of dependent steps); the same function on the same values.
    if (nr == NR) {
      switch (ep->act) {
        case U_GELU: heavy_rows<U_GELU>(c, ldc, ep, mr); break;
        case U_SILU: heavy_rows<U_SILU>(c, ldc, ep, mr); break;
        case U_TANH: heavy_rows<U_TANH>(c, ldc, ep, mr); break;
        default: heavy_rows<U_SIGMOID>(c, ldc, ep, mr); break;
      }
      return;
    }
#pragma GCC unroll 1
    for (int i = 0; i < mr; i++) {
      const float* zi = c + i * ldc;
      float* yi = ep->y ? ep->y + i * ep->ldy : c + i * ldc;
      const float* ri = ep->res ? ep->res + i * ep->ldr : nullptr;
#pragma GCC unroll 1
      for (int v = 0; v < NV; v++) {
        const int cnt = nr - v * Vec::W;
        if (cnt <= 0) break;
        const bool full = cnt >= Vec::W;
        Vec out = tile_activate(ep->act, full ? Vec::load(zi + v * Vec::W) : Vec::load_n(zi + v * Vec::W, cnt));
        if (ri) out = Vec::add(out, full ? Vec::load(ri + v * Vec::W) : Vec::load_n(ri + v * Vec::W, cnt));
        if (full) Vec::store(yi + v * Vec::W, out);
        else Vec::store_n(yi + v * Vec::W, out, cnt);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// packing

#if defined(__AVX512F__)
/** In-register transpose of 16 rows of 16 floats. */
static inline void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // u[4i + c], 128-bit lane l: rows 4i..4i+3 of column 4l + c
  for (int i = 0; i < 4; i++) {
    u[4 * i + 0] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    u[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    u[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    u[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  for (int c = 0; c < 4; c++) {
    const __m512 a = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88), b = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88);
    const __m512 a2 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xDD), b2 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xDD);
    r[c] = _mm512_shuffle_f32x4(a, b, 0x88);
    r[8 + c] = _mm512_shuffle_f32x4(a, b, 0xDD);
    r[4 + c] = _mm512_shuffle_f32x4(a2, b2, 0x88);
    r[12 + c] = _mm512_shuffle_f32x4(a2, b2, 0xDD);
  }
}

/** Panel of a transposed B (B(k, j) = b[j * cs + k]) by 16 x 16 transposes. */
static void pack_b_panel_t16(const float* b, long cs, long kc, int w, float* __restrict out) {
  static_assert(NR % 16 == 0, "panels of 16-column groups");
  for (int g = 0; g < NR / 16; g++) {
    const int jn = std::max(0, std::min(16, w - 16 * g));  // valid columns in this group
    for (long k0 = 0; k0 < kc; k0 += 16) {
      const int kn = (int)std::min<long>(16, kc - k0);
      const __mmask16 km = (__mmask16)((1u << kn) - 1);
      __m512 r[16];
      for (int j = 0; j < 16; j++)
        r[j] = j < jn ? _mm512_maskz_loadu_ps(km, b + (16 * g + j) * cs + k0) : _mm512_setzero_ps();
      transpose16(r);
      for (int t = 0; t < kn; t++) _mm512_storeu_ps(out + (k0 + t) * NR + 16 * g, r[t]);
    }
  }
}
#endif

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
#if defined(__AVX512F__)
    if (rs == 1) {
      pack_b_panel_t16(b, cs, kc, w, out);
      return;
    }
#endif
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
#if defined(__AVX512F__)
    static_assert(MR <= 16, "one masked vector per k");
    const __mmask16 in = (__mmask16)((1u << mr) - 1), outm = (__mmask16)((1u << MR) - 1);
    for (long k = 0; k < kc; k++) _mm512_mask_storeu_ps(out + k * MR, outm, _mm512_maskz_loadu_ps(in, a + k * cs));
#else
    for (long k = 0; k < kc; k++) {
      const float* src = a + k * cs;
      float* dst = out + k * MR;
      int i = 0;
      for (; i < mr; i++) dst[i] = src[i];
      for (; i < MR; i++) dst[i] = 0;
    }
#endif
  } else {
    for (int i = 0; i < mr; i++)
      for (long k = 0; k < kc; k++) out[k * MR + i] = a[i * rs + k * cs];
    for (int i = mr; i < MR; i++)
      for (long k = 0; k < kc; k++) out[k * MR + i] = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// the driver

void apply_epilogue(const Epilogue* ep, float* c, long ldc, long i0, long rows, long j0, long cols) {
  if (!ep || rows <= 0 || cols <= 0) return;
  float* z = c + i0 * ldc + j0;
  if (ep->bias) {
    for (long i = 0; i < rows; i++) {
      const float* bj = ep->bias + (ep->biasRowDiv > 0 ? ((ep->row0 + i0 + i) / ep->biasRowDiv) * ep->biasLd : 0) + j0;
      float* zi = z + i * ldc;
      for (long j = 0; j < cols; j++) zi[j] += bj[j];
    }
  }
  float* y = ep->y + i0 * ep->ldy + j0;
  if (ep->act != ACT_NONE || ep->y != c) activate_rows(ep->act, z, ldc, y, ep->ldy, rows, cols);
  if (ep->res) {
    const float* r = ep->res + i0 * ep->ldr + j0;
    for (long i = 0; i < rows; i++) {
      float* yi = y + i * ep->ldy;
      const float* ri = r + i * ep->ldr;
      for (long j = 0; j < cols; j++) yi[j] += ri[j];
    }
  }
}

/**
 * Depth blocking: one block up to 512 deep, else equal blocks of at most 384. With a single panel
 * of B (N <= NR) the A strip is used once per block anyway, so the blocks go up to 8192 (a B block
 * of at most 1 MiB): fewer passes over C and fewer jobs.
 */
static long pick_kc(long K, long N) {
  const long single = N <= NR ? 8192 : 512, cap = N <= NR ? 8192 : 384;
  if (K <= single) return K;
  const long nb = ceil_div(K, cap);
  return ceil_div(K, nb);
}

/** Threaded or not for a problem of `flops` (waking a worker costs a few microseconds). */
double par_min_flops() {
  static const double v = [] {
    const char* e = std::getenv("RFM_PAR_FLOPS");
    return e ? std::atof(e) : 3e5;
  }();
  return v;
}
// set while a caller runs a computation too small to share out as a whole (see SerialScope)
static thread_local bool tl_serial = false;
SerialScope::SerialScope(bool on) : prev(tl_serial) { tl_serial = prev || on; }
SerialScope::~SerialScope() { tl_serial = prev; }
bool worth_threads(double flops) { return !tl_serial && flops >= par_min_flops() && max_threads() > 1; }

static void gemm(const Gemm& g, bool threaded) {
  const long M = g.M, N = g.N, K = g.K;
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!g.accumulate)
      for (long i = 0; i < M; i++) std::memset(g.C + i * g.ldc, 0, N * sizeof(float));
    apply_epilogue(g.ep, g.C, g.ldc, 0, M, 0, N);
    return;
  }
  const int nt = threaded ? max_threads() : 1;
  const long kcMax = pick_kc(K, N);
  // column blocks: keep a packed block of B near 1 MiB (it lives in L2)
  long ncMax = std::max<long>(NR, ((1L << 18) / kcMax) / NR * NR);
  if (N <= ncMax + ncMax / 2) ncMax = N;
  const long bBlock = ceil_div(ncMax, NR) * NR * kcMax;
  const long strips = ceil_div(M, MR);
  float* bpack = tl_bpack.get(bBlock);
  const bool aRowMajor = g.csa == 1;
  // bias and ReLU / identity go into the micro-kernel; other activations run after each strip
  const bool fused = g.ep && tile_act(g.ep->act);

  for (long jc = 0; jc < N; jc += ncMax) {
    const long nc = std::min(ncMax, N - jc);
    const long panels = ceil_div(nc, NR);
    // work items: a strip of MR rows by a group of panels (groups only when strips are few)
    long groups = 1;
    if (nt > 1 && strips < 16L * nt) groups = std::min(panels, ceil_div(16L * nt, strips));
    const long items = strips * groups;
    for (long pc = 0; pc < K; pc += kcMax) {
      const long kc = std::min(kcMax, K - pc);
      const bool last = pc + kc >= K;
      const bool accum = g.accumulate || pc > 0;
      std::atomic<long> packed{0}, nextItem{0};
      auto job = [&](int tid) {
        // the caller packs B (so it never waits for a descheduled worker), workers wait for it
        if (tid == 0) {
          for (long p = 0; p < panels; p++) {
            const long j = jc + p * NR;
            pack_b_panel(g.B + pc * g.rsb + j * g.csb, g.rsb, g.csb, kc, (int)std::min<long>(NR, N - j), bpack + p * NR * kc);
          }
          packed.store(1, std::memory_order_release);
        } else {
          spin_until([&] { return packed.load(std::memory_order_acquire) != 0; });
        }
        float* apack = tl_apack.get((size_t)MR * kcMax);
        for (;;) {
          const long it = nextItem.fetch_add(1, std::memory_order_relaxed);
          if (it >= items) break;
          const long s = it / groups, grp = it % groups;
          const long p0 = panels * grp / groups, p1 = panels * (grp + 1) / groups;
          const long i0 = s * MR;
          const int mr = (int)std::min<long>(MR, M - i0);
          const float* a = g.A + i0 * g.rsa + pc * g.csa;
          const bool packA = !aRowMajor || mr < MR;
          if (packA) pack_a_strip(a, g.rsa, g.csa, kc, mr, apack);
          float* crow = g.C + i0 * g.ldc;
          const bool epi = last && fused;
          for (long p = p0; p < p1; p++) {
            const long j = jc + p * NR;
            const int nr = (int)std::min<long>(NR, N - j);
            const float* bp = bpack + p * NR * kc;
            if (epi) {
              const TileEpi te{g.ep->bias ? g.ep->bias + j : nullptr, g.ep->biasRowDiv, g.ep->biasLd, i0, g.ep->act,
                               g.ep->y != g.C ? g.ep->y + i0 * g.ep->ldy + j : nullptr, g.ep->ldy,
                               g.ep->res ? g.ep->res + i0 * g.ep->ldr + j : nullptr, g.ep->ldr};
              if (packA) micro<true, true>(kc, apack, 0, bp, crow + j, g.ldc, mr, nr, accum, &te);
              else micro<false, true>(kc, a, g.rsa, bp, crow + j, g.ldc, mr, nr, accum, &te);
            } else {
              if (packA) micro<true, false>(kc, apack, 0, bp, crow + j, g.ldc, mr, nr, accum, nullptr);
              else micro<false, false>(kc, a, g.rsa, bp, crow + j, g.ldc, mr, nr, accum, nullptr);
            }
          }
          if (last && g.ep && !fused) {
            const long jlo = jc + p0 * NR, jhi = std::min(N, jc + p1 * NR);
            apply_epilogue(g.ep, g.C, g.ldc, i0, mr, jlo, jhi - jlo);
          }
        }
      };
      if (nt > 1)
        parallel(job);
      else
        job(0);
    }
  }
}

/** Sum of a[k] * b[k] over k < K (contiguous), in a few vector accumulators. */
static inline float dot(const float* __restrict a, const float* __restrict b, long K) {
  Vec acc[4] = {Vec::zero(), Vec::zero(), Vec::zero(), Vec::zero()};
  long k = 0;
  for (; k + 4 * Vec::W <= K; k += 4 * Vec::W)
#pragma GCC unroll 4
    for (int u = 0; u < 4; u++) acc[u] = Vec::fma(Vec::load(a + k + u * Vec::W), Vec::load(b + k + u * Vec::W), acc[u]);
  for (; k < K; k += Vec::W) {
    const int cnt = (int)std::min<long>(Vec::W, K - k);
    acc[0] = Vec::fma(Vec::load_n(a + k, cnt), Vec::load_n(b + k, cnt), acc[0]);
  }
  float lanes[Vec::W];
  Vec::store(lanes, Vec::add(Vec::add(acc[0], acc[1]), Vec::add(acc[2], acc[3])));
  float s = 0;
  for (int i = 0; i < Vec::W; i++) s += lanes[i];
  return s;
}

/** The sum of a vector's lanes. */
static inline float hsum(Vec a) {
#if defined(__AVX512F__)
  return _mm512_reduce_add_ps(a.v);
#elif defined(__AVX2__)
  // halves added in registers (8 -> 4 -> 2 -> 1), as the AVX-512 reduction does: no store and
  // eight dependent scalar additions (the narrow outputs' dot products spent half their time there)
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
#else
  float lanes[Vec::W];
  Vec::store(lanes, a);
  float s = 0;
  for (int i = 0; i < Vec::W; i++) s += lanes[i];
  return s;
#endif
}

/**
 * Rows [i0, i1) of a C with NN <= 8 columns, A's rows and B's columns contiguous along k: RR rows
 * at a time, each A vector loaded once for all NN columns (NN x RR independent accumulators keep
 * the FMA units busy), then one horizontal sum per element.
 */
template <int NN, int RR>
static void dots_narrow(const Gemm& g, long i0, long i1) {
  const long K = g.K;
  const float* bj[NN];
  for (int j = 0; j < NN; j++) bj[j] = g.B + j * g.csb;
  long i = i0;
  for (; i < i1; i += RR) {
    const int rows = (int)std::min<long>(RR, i1 - i);
    const float* a[RR];
    for (int r = 0; r < RR; r++) a[r] = g.A + (i + (r < rows ? r : 0)) * g.rsa;
    Vec acc[RR][NN];
#pragma GCC unroll 4
    for (int r = 0; r < RR; r++)
#pragma GCC unroll 8
      for (int j = 0; j < NN; j++) acc[r][j] = Vec::zero();
    long k = 0;
    for (; k + Vec::W <= K; k += Vec::W) {
      Vec av[RR];
#pragma GCC unroll 4
      for (int r = 0; r < RR; r++) av[r] = Vec::load(a[r] + k);
#pragma GCC unroll 8
      for (int j = 0; j < NN; j++) {
        const Vec bv = Vec::load(bj[j] + k);
#pragma GCC unroll 4
        for (int r = 0; r < RR; r++) acc[r][j] = Vec::fma(av[r], bv, acc[r][j]);
      }
    }
    if (k < K) {
      const int cnt = (int)(K - k);
      Vec av[RR];
      for (int r = 0; r < RR; r++) av[r] = Vec::load_n(a[r] + k, cnt);
      for (int j = 0; j < NN; j++) {
        const Vec bv = Vec::load_n(bj[j] + k, cnt);
        for (int r = 0; r < RR; r++) acc[r][j] = Vec::fma(av[r], bv, acc[r][j]);
      }
    }
    for (int r = 0; r < rows; r++) {
      float* ci = g.C + (i + r) * g.ldc;
      for (int j = 0; j < NN; j++) {
        const float s = hsum(acc[r][j]);
        ci[j] = g.accumulate ? ci[j] + s : s;
      }
    }
    if (g.ep) apply_epilogue(g.ep, g.C, g.ldc, i, rows, 0, NN);
  }
}

template <int NN>
static void dots_narrow_rows(const Gemm& g, long i0, long i1) {
  static_assert(NARROW_MAX == 8, "the dot-product kernels are instantiated for 1 to 8 columns");
  // few columns give few independent sums per row: more rows at a time
  dots_narrow<NN, (NN <= 2 ? 4 : 2)>(g, i0, i1);
}

/**
 * C [M,N] (+)= A B for narrow C (few columns, or one row) when A's rows and B's columns are
 * contiguous along k: one dot product per element.
 */
static void gemm_dots(const Gemm& g, bool threaded) {
  const long M = g.M, N = g.N, K = g.K;
  if (N <= NARROW_MAX && M >= N) {
    const long chunk = std::max<long>(4, 32768 / std::max<long>(1, N * K));
    parallel_for(M, chunk, threaded, [&](long b, long e) {
      switch (N) {
        case 1: dots_narrow_rows<1>(g, b, e); break;
        case 2: dots_narrow_rows<2>(g, b, e); break;
        case 3: dots_narrow_rows<3>(g, b, e); break;
        case 4: dots_narrow_rows<4>(g, b, e); break;
        case 5: dots_narrow_rows<5>(g, b, e); break;
        case 6: dots_narrow_rows<6>(g, b, e); break;
        case 7: dots_narrow_rows<7>(g, b, e); break;
        default: dots_narrow_rows<8>(g, b, e); break;
      }
    });
    return;
  }
  const long chunk = std::max<long>(1, 65536 / std::max<long>(1, N * K));
  const bool rowsFirst = M >= N;
  // split over rows, or over columns when C is one wide row
  parallel_for(rowsFirst ? M : N, rowsFirst ? chunk : std::max<long>(1, 65536 / std::max<long>(1, K)), threaded,
               [&](long b, long e) {
                 const long i0 = rowsFirst ? b : 0, i1 = rowsFirst ? e : M;
                 const long j0 = rowsFirst ? 0 : b, j1 = rowsFirst ? N : e;
                 for (long i = i0; i < i1; i++) {
                   float* ci = g.C + i * g.ldc;
                   for (long j = j0; j < j1; j++) {
                     const float s = dot(g.A + i * g.rsa, g.B + j * g.csb, K);
                     ci[j] = g.accumulate ? ci[j] + s : s;
                   }
                   if (g.ep) apply_epilogue(g.ep, g.C, g.ldc, i, 1, j0, j1 - j0);
                 }
               });
}

/** C [1,N] (+)= a [1,K] B [K,N] with B's rows contiguous: rows of B scaled and summed. */
static void gemv_rows(const Gemm& g, bool threaded) {
  const long N = g.N, K = g.K;
  constexpr long CW = 4 * Vec::W;  // columns per work item
  parallel_for(N, CW, threaded, [&](long jb, long je) {
    for (long j0 = jb; j0 < je; j0 += CW) {
      const int w = (int)std::min<long>(CW, je - j0);
      Vec acc[4] = {Vec::zero(), Vec::zero(), Vec::zero(), Vec::zero()};
      for (long k = 0; k < K; k++) {
        const Vec av = Vec::bcast(g.A + k * g.csa);
        const float* bk = g.B + k * g.rsb + j0;
#pragma GCC unroll 4
        for (int u = 0; u < 4; u++) {
          const int cnt = w - u * Vec::W;
          if (cnt <= 0) break;
          acc[u] = Vec::fma(av, cnt >= Vec::W ? Vec::load(bk + u * Vec::W) : Vec::load_n(bk + u * Vec::W, cnt), acc[u]);
        }
      }
      for (int u = 0; u < 4; u++) {
        const int cnt = (int)std::min<long>(Vec::W, w - u * Vec::W);
        if (cnt <= 0) break;
        float* cp = g.C + j0 + u * Vec::W;
        Vec x = acc[u];
        if (g.accumulate) x = Vec::add(x, Vec::load_n(cp, cnt));
        Vec::store_n(cp, x, cnt);
      }
    }
  });
  if (g.ep) apply_epilogue(g.ep, g.C, g.ldc, 0, 1, 0, N);
}

static thread_local Buffer tl_ct;  // C transposed, for narrow problems computed the other way round
static thread_local Buffer tl_bt;  // a narrow B transposed

/**
 * Picks the kernel for a problem: dot products, row-vector times matrix, the packed GEMM, or for
 * a narrow C (N well under a panel, many rows) the packed GEMM of C^T = op(B)^T op(A)^T, whose
 * panels are then full (e.g. the weight gradient of a first layer, [256, 23] = gz^T x).
 */
static void gemm_any(const Gemm& g, bool threaded) {
  if (g.M > 0 && g.N > 0 && g.K > 0) {
    if (g.rsb == 1 && g.csa == 1 && (g.N <= NARROW_MAX || g.M == 1)) return gemm_dots(g, threaded);
    if (g.csa == 1 && g.N <= NARROW_MAX && g.M >= 64) {
      // B's columns strided (e.g. gx = gz W for a first layer of few inputs): transpose the small
      // B [K, N] into N contiguous columns, then dot products
      float* bt = tl_bt.get((size_t)g.N * g.K);
      for (long k = 0; k < g.K; k++)
        for (long j = 0; j < g.N; j++) bt[j * g.K + k] = g.B[k * g.rsb + j * g.csb];
      Gemm t = g;
      t.B = bt;
      t.rsb = 1;
      t.csb = g.K;
      return gemm_dots(t, threaded);
    }
    if (g.M == 1 && g.csb == 1) return gemv_rows(g, threaded);
    if (!g.ep && g.N <= NR - NR / 4 && g.M >= 4 * NR) {
      float* ct = tl_ct.get((size_t)g.N * g.M);
      Gemm t{g.B, g.csb, g.rsb, g.A, g.csa, g.rsa, ct, g.M, g.N, g.M, g.K, false, nullptr};
      gemm(t, threaded);
      for (long i = 0; i < g.M; i++) {
        float* ci = g.C + i * g.ldc;
        for (long j = 0; j < g.N; j++) ci[j] = g.accumulate ? ci[j] + ct[j * g.M + i] : ct[j * g.M + i];
      }
      return;
    }
  }
  gemm(g, threaded);
}
static void gemm_any(const Gemm& g) { gemm_any(g, worth_threads(2.0 * g.M * g.N * g.K)); }

void matmul(const float* A, const float* B, float* C, long M, long N, long K, bool transA, bool transB,
            bool accumulate, long batch, long strideA, long strideB, long strideC) {
  auto one = [&](long q, bool threaded) {
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
    gemm_any(g, threaded && worth_threads(2.0 * M * N * K));
  };
  const double flops = 2.0 * M * N * K;
  if (batch > 1 && flops < 4e6) {
    // many small problems: whole problems handed out to the threads
    parallel_for(batch, 1, worth_threads(flops * batch), [&](long qb, long qe) {
      for (long q = qb; q < qe; q++) one(q, false);
    });
  } else {
    for (long q = 0; q < batch; q++) one(q, worth_threads(flops));
  }
}

void linear(const float* x, const float* w, const float* bias, float* y, float* pre, long M, long N, long K, int act,
            long biasGroups, const float* res) {
  Epilogue ep{bias, act, y, N, biasGroups > 1 ? M / biasGroups : 0, N, res, N};
  float* z = pre ? pre : y;
  const bool needEp = bias || act != ACT_NONE || pre || res;
  Gemm g{x, K, 1, w, 1, K, z, N, M, N, K, false, needEp ? &ep : nullptr};
  gemm_any(g);
}

/**
 * o = g * [z > 0] for n floats, as a multiply by a 0 / 1 mask (no branch: the signs of z are
 * random, and a branch per element mispredicted half the time; the product keeps g * 0's sign and
 * NaN as before).
 */
static inline void relu_grad_row(const float* __restrict z, const float* __restrict g, float* __restrict o, long n) {
  using vmath::vf;
  constexpr long W = sizeof(vf) / sizeof(float);
  long j = 0;
  // a register at a time, written out (GCC otherwise turns the multiply by 1 into a branch)
  for (; j + W <= n; j += W) {
    vf zv, gv;
    std::memcpy(&zv, z + j, sizeof zv);
    std::memcpy(&gv, g + j, sizeof gv);
    const vf r = gv * vmath::select((vmath::vi)(zv > 0.0f), vmath::set(1.0f), vmath::set(0.0f));
    std::memcpy(o + j, &r, sizeof r);
  }
  for (; j < n; j++) o[j] = g[j] * (z[j] > 0 ? 1.0f : 0.0f);
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
        relu_grad_row(zi, gi, o, N);
        break;
      default:
        activation_backward(act, zi, y + i * N, gi, o, N);
    }
    if (colsum)
      for (long j = 0; j < N; j++) colsum[j] += o[j];
  }
}

void linear_backward(const float* x, const float* w, const float* pre, const float* y, const float* gy, float* gx,
                     float* gw, float* gb, float* scratch, long M, long N, long K, int act, bool accumulate,
                     long biasGroups) {
  // gz and the bias gradient in one pass over the rows (partial column sums per thread); a
  // grouped bias (one row per group of rows) is summed per group afterwards
  const bool grouped = biasGroups > 1;
  const bool threaded = worth_threads(8.0 * M * N);
  const int nt = threaded ? max_threads() : 1;
  float* partial = gb && !grouped ? tl_misc.get((size_t)nt * N) : nullptr;
  if (partial) std::memset(partial, 0, (size_t)nt * N * sizeof(float));
  const long chunk = std::max<long>(1, 16384 / std::max<long>(N, 1));
  std::atomic<long> next{0};
  auto job = [&](int tid) {
    float* cs = partial ? partial + tid * N : nullptr;
    for (;;) {
      const long b = next.fetch_add(chunk, std::memory_order_relaxed);
      if (b >= M) break;
      grad_pre(act, pre, y, gy, scratch, b, std::min(M, b + chunk), N, cs);
    }
  };
  if (threaded)
    parallel(job);
  else
    job(0);
  if (gb && grouped) {
    const long R = M / biasGroups;
    parallel_for(biasGroups, 1, threaded, [&](long g0, long g1) {
      for (long q = g0; q < g1; q++) {
        float* o = gb + q * N;
        if (!accumulate) std::memset(o, 0, N * sizeof(float));
        for (long r = 0; r < R; r++) {
          const float* si = scratch + (q * R + r) * N;
          for (long j = 0; j < N; j++) o[j] += si[j];
        }
      }
    });
  } else if (gb) {
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

// ---------------------------------------------------------------------------------------------
// pieces of the row-block kernels (fused.cc)

/**
 * C [rows, N] = A [rows, K] B for a block of rows, B packed into panels of NR columns, K deep (at
 * most BLOCK_MAX_DEPTH), with the tile epilogue `ep` (pointers relative to the block's row 0 and column 0;
 * ep->row0 is the block's absolute row, for bias groups) or none.
 */
void block_gemm(const float* A, long lda, long rows, long K, const float* bp, long N, float* C, long ldc,
                       const TileEpi* ep, float* apack) {
  for (long s0 = 0; s0 < rows; s0 += MR) {
    const int mr = (int)std::min<long>(MR, rows - s0);
    const float* a = A + s0 * lda;
    const bool packA = mr < MR;
    if (packA) pack_a_strip(a, lda, 1, K, mr, apack);
    for (long j = 0; j < N; j += NR) {
      const int nr = (int)std::min<long>(NR, N - j);
      const float* b = bp + (j / NR) * NR * K;
      float* c = C + s0 * ldc + j;
      if (ep) {
        TileEpi te = *ep;
        te.bias = ep->bias ? ep->bias + j : nullptr;
        te.row0 = ep->row0 + s0;
        te.y = ep->y ? ep->y + s0 * ep->ldy + j : nullptr;
        te.res = ep->res ? ep->res + s0 * ep->ldr + j : nullptr;
        if (packA) micro<true, true>(K, apack, 0, b, c, ldc, mr, nr, false, &te);
        else micro<false, true>(K, a, lda, b, c, ldc, mr, nr, false, &te);
      } else {
        if (packA) micro<true, false>(K, apack, 0, b, c, ldc, mr, nr, false, nullptr);
        else micro<false, false>(K, a, lda, b, c, ldc, mr, nr, false, nullptr);
      }
    }
  }
}

/** Packs B(k, j) = b[k * rs + j * cs] (K x N) into NR-wide panels at out; returns the floats used. */
long pack_b_all(const float* b, long rs, long cs, long K, long N, float* out) {
  for (long j = 0; j < N; j += NR) pack_b_panel(b + j * cs, rs, cs, K, (int)std::min<long>(NR, N - j), out + (j / NR) * NR * K);
  return ceil_div(N, NR) * NR * K;
}
long packed_size(long K, long N) { return ceil_div(N, NR) * NR * K; }

/** C [rows, N <= 8] by dot products (see dots_narrow), any N from 1 to 8. */
void dots_any(const Gemm& g, long rows) {
  switch (g.N) {
    case 1: dots_narrow_rows<1>(g, 0, rows); break;
    case 2: dots_narrow_rows<2>(g, 0, rows); break;
    case 3: dots_narrow_rows<3>(g, 0, rows); break;
    case 4: dots_narrow_rows<4>(g, 0, rows); break;
    case 5: dots_narrow_rows<5>(g, 0, rows); break;
    case 6: dots_narrow_rows<6>(g, 0, rows); break;
    case 7: dots_narrow_rows<7>(g, 0, rows); break;
    default: dots_narrow_rows<8>(g, 0, rows); break;
  }
}

RFM_TIER_END
