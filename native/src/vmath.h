// Vectorised math for every instruction-set tier, written once over the compilers' vector
// extensions (GCC and clang: `vector_size`), which compile to each tier's registers: 16 floats
// (AVX-512), 8 (AVX2), 4 (SSE2 baseline, NEON). The float activations (exp, sigmoid, tanh, GELU,
// SiLU and the derivatives of the backward passes) serve the fused GEMM epilogue and the
// elementwise kernels; the double functions (log, exp on [-100, 0], sin / cos, log cosh) the
// Box-Muller normals and logcosh. Each is a few ulps from the double formulas of
// src/engine/kernels-ts.ts; test/engine/vmath.test.ts bounds the error of each on every tier.
//
// Fused multiply-adds: where the tier has FMA, the compiler contracts a * b + c (the default
// -ffp-contract=fast of GCC and clang's `on`); the polynomials are accurate either way. Code that
// must round a product and a sum separately (mlp_euler's update, the normals' mean + sd r cos)
// turns contraction off itself.
#pragma once
#include <cstdint>
#include <cstring>

#include "common.h"

#if defined(__SSE2__)
#include <immintrin.h>
#endif

RFM_TIER_BEGIN
namespace vmath {

#if defined(__AVX512F__)
constexpr int VW = 16;
#elif defined(__AVX2__)
constexpr int VW = 8;
#else
constexpr int VW = 4;
#endif
constexpr int DW = VW / 2;  // doubles per register

typedef float vf __attribute__((vector_size(4 * VW)));
typedef int32_t vi __attribute__((vector_size(4 * VW)));
typedef double vd __attribute__((vector_size(4 * VW)));
typedef int64_t vl __attribute__((vector_size(4 * VW)));
typedef uint64_t vul __attribute__((vector_size(4 * VW)));
typedef float vfh __attribute__((vector_size(4 * DW)));  // DW floats (converted to and from vd)

static inline vf set(float v) { return v - vf{}; }
static inline vd setd(double v) { return v - vd{}; }
static inline vf loadu(const float* p) {
  vf r;
  std::memcpy(&r, p, sizeof r);
  return r;
}
static inline void storeu(float* p, vf v) { std::memcpy(p, &v, sizeof v); }
/** The first n (< VW) floats at p, the other lanes zero. */
static inline vf load_n(const float* p, int n) {
  float t[VW] = {};
  std::memcpy(t, p, (size_t)n * sizeof(float));
  return loadu(t);
}
static inline void store_n(float* p, vf v, int n) {
  float t[VW];
  storeu(t, v);
  std::memcpy(p, t, (size_t)n * sizeof(float));
}
/** a where the mask m is set (all bits of a lane), else b (a blend). */
static inline vf select(vi m, vf a, vf b) { return m ? a : b; }
static inline vd selectd(vl m, vd a, vd b) { return m ? a : b; }
/** max / min with the second operand returned when either is NaN (as maxps / minps). */
static inline vf vmax(vf a, vf b) {
#if defined(__AVX512F__)
  return (vf)_mm512_max_ps((__m512)a, (__m512)b);
#elif defined(__AVX2__)
  return (vf)_mm256_max_ps((__m256)a, (__m256)b);
#elif defined(__SSE2__)
  return (vf)_mm_max_ps((__m128)a, (__m128)b);
#else
  return select((vi)(a > b), a, b);
#endif
}
static inline vf vmin(vf a, vf b) {
#if defined(__AVX512F__)
  return (vf)_mm512_min_ps((__m512)a, (__m512)b);
#elif defined(__AVX2__)
  return (vf)_mm256_min_ps((__m256)a, (__m256)b);
#elif defined(__SSE2__)
  return (vf)_mm_min_ps((__m128)a, (__m128)b);
#else
  return select((vi)(a < b), a, b);
#endif
}
static inline vf vabs(vf a) { return (vf)((vi)a & 0x7fffffff); }

/**
 * e^x for x clamped to [lo, hi] with -87 <= lo, hi <= 89 (NaN kept: vmax / vmin return their
 * second operand): x = n ln2 + r with n rounded by the 1.5 * 2^23 trick (whose low mantissa bits
 * then hold n), e^r by a degree-7 polynomial, times 2^n built in the exponent bits (n = 128 gives
 * +inf: e^89 overflows float).
 */
static inline vf exp_within(vf x, float lo, float hi) {
  x = vmin(set(hi), vmax(set(lo), x));
  const vf magic = set(12582912.0f);
  const vf t = x * 1.44269504088896341f + magic;
  const vf n = t - magic;
  vf r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  vf p = set(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const vf y = p * (r * r) + (r + 1.0f);
  const vi scale = (((vi)t - (vi)magic) + 127) << 23;
  return y * (vf)scale;
}
/** e^x for x in [-87, 89] (clamped there: 0 is not reached below, +inf above). */
static inline vf exp(vf x) { return exp_within(x, -87.0f, 89.0f); }

/** 1 / d for d >= 1 (or +inf, or NaN). */
static inline vf recip(vf d) {
#if defined(__AVX512F__)
  // the 14-bit estimate refined by one Newton step: within an ulp or two, cheaper than a division;
  // d = +inf gives 0, as the division would
  const vf r = (vf)_mm512_rcp14_ps((__m512)d);
  const vf refined = r * (1.0f - d * r) + r;
  return select((vi)(r == 0.0f), r, refined);
#else
  return 1.0f / d;
#endif
}
/**
 * 1 / (1 + e^-x), with e^-x taken at -x clamped to [-87, 89]: below, the result is 1 in float
 * either way and e^-x never goes subnormal (subnormals cost a microcode assist each); above, it
 * overflows to +inf and the reciprocal gives 0 (so gelu(-inf) = -inf * 0 = NaN, as the double
 * formula).
 */
static inline vf sigmoid(vf x) { return recip(1.0f + exp_within(-x, -87.0f, 89.0f)); }

/** tanh: odd series below |x| = 0.5, 1 - 2 / (1 + e^{2|x|}) above (with x's sign). */
static inline vf tanh(vf x) {
  const vf a = vabs(x);
  const vf big = 1.0f - 2.0f * recip(1.0f + exp(a + a));
  const vf x2 = x * x;
  vf q = set(-929569.0f / 638512875.0f);
  q = q * x2 + 21844.0f / 6081075.0f;
  q = q * x2 + -1382.0f / 155925.0f;
  q = q * x2 + 62.0f / 2835.0f;
  q = q * x2 + -17.0f / 315.0f;
  q = q * x2 + 2.0f / 15.0f;
  q = q * x2 + -1.0f / 3.0f;
  const vf small = (x * x2) * q + x;
  const vf signedBig = (vf)((vi)big | ((vi)x & (int32_t)0x80000000u));
  return select((vi)(a < 0.5f), small, signedBig);
}

// GELU by the tanh form: gelu(x) = 0.5 x (1 + tanh u) = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3),
// written so that no step cancels
static constexpr float GC = 0.7978845608028654f, GA = 0.044715f;
/**
 * sigmoid(2u): gelu(x) = x s. The sigmoid's argument -2u is one product by the constant -2 C (fl(-2 C)
 * is -2 fl(C) exactly, so fl(w * -2C) = -(fl(w C) + fl(w C)): the same floats as forming u, doubling
 * and negating, two operations fewer).
 */
static inline vf gelu_s(vf x) {
  const vf m = ((GA * (x * x)) * x + x) * (-2.0f * GC);
  return recip(1.0f + exp_within(m, -87.0f, 89.0f));
}
static inline vf gelu(vf x) { return x * gelu_s(x); }
static inline vf silu(vf x) { return x * sigmoid(x); }
/** d gelu / dx = s + 2 x s (1 - s) C (1 + 3 A x^2), s = sigmoid(2u). */
static inline vf gelu_grad(vf x) {
  const vf s = gelu_s(x);
  const vf t = (s * (1.0f - s)) * (x * (2.0f * GC));
  return t * ((x * x) * (3.0f * GA) + 1.0f) + s;
}
/** d silu / dx = s + x s (1 - s), s = sigmoid(x). */
static inline vf silu_grad(vf x) {
  const vf s = sigmoid(x);
  return (x * s) * (1.0f - s) + s;
}
/** The activation `op` (U_GELU, U_TANH, U_SILU, U_SIGMOID). */
static inline vf act(int op, vf x) {
  switch (op) {
    case U_GELU: return gelu(x);
    case U_TANH: return tanh(x);
    case U_SILU: return silu(x);
    default: return sigmoid(x);  // U_SIGMOID
  }
}

// --- double precision (Box-Muller normals, logcosh): within an ulp or two of the C library's
// log / exp / sin / cos, for the argument ranges used there

/** Square roots (correctly rounded, as the scalar sqrt). */
static inline vd sqrt(vd x) {
#if defined(__AVX512F__)
  return (vd)_mm512_sqrt_pd((__m512d)x);
#elif defined(__AVX2__)
  return (vd)_mm256_sqrt_pd((__m256d)x);
#elif defined(__SSE2__)
  return (vd)_mm_sqrt_pd((__m128d)x);
#else
  for (int i = 0; i < DW; i++) x[i] = __builtin_sqrt(x[i]);
  return x;
#endif
}

/** The biased exponent field of positive doubles as doubles (exact: below 2^52). */
static inline vd exponent_field(vd x) {
  const vl eb = (vl)((vul)x >> 52);
  return (vd)(eb | (int64_t)0x4330000000000000LL) - 4503599627370496.0;
}

/** log x for finite x > 0 (normal): x = 2^e m, m in [sqrt(1/2), sqrt(2)), log m = 2 atanh((m - 1) / (m + 1)). */
static inline vd log(vd x) {
  vd e = exponent_field(x) - 1023.0;
  vd m = (vd)(((vl)x & (int64_t)0x000fffffffffffffLL) | (int64_t)0x3ff0000000000000LL);  // [1, 2)
  const vl big = (vl)(m > 1.4142135623730951);
  m = selectd(big, m * 0.5, m);
  e = selectd(big, e + 1.0, e);
  const vd f = (m - 1.0) / (m + 1.0);
  const vd s = f * f;
  // 2 atanh f = 2f + f s (2/3 + 2/5 s + 2/7 s^2 + ...), |f| < 0.172, s < 0.0295: 11 terms
  vd p = setd(2.0 / 25);
  p = p * s + 2.0 / 23;
  p = p * s + 2.0 / 21;
  p = p * s + 2.0 / 19;
  p = p * s + 2.0 / 17;
  p = p * s + 2.0 / 15;
  p = p * s + 2.0 / 13;
  p = p * s + 2.0 / 11;
  p = p * s + 2.0 / 9;
  p = p * s + 2.0 / 7;
  p = p * s + 2.0 / 5;
  p = p * s + 2.0 / 3;
  const vd logm = (f * s) * p + (f + f);
  // e ln2 in two parts (the high part has 32 bits: e ln2_hi is exact)
  return e * 0.6931471803691238 + (e * 1.9082149292705877e-10 + logm);
}

/** e^x for x in [-100, 0] (and NaN): x = n ln2 + r, |r| <= ln2 / 2, Taylor series to r^13, times 2^n. */
static inline vd exp_neg(vd x) {
  const vd magic = setd(6755399441055744.0);  // 1.5 * 2^52: its low mantissa bits then hold n
  const vd t = x * 1.4426950408889634 + magic;
  const vd n = t - magic;
  vd r = x - n * 0.6931471803691238;
  r = r - n * 1.9082149292705877e-10;
  vd p = setd(1.0 / 6227020800.0);  // 1/13!
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const vl scale = (((vl)t - (vl)magic) + 1023) << 52;
  return p * (vd)scale;
}
/** log(1 + e) for e in [0, 1] (and NaN): log u * e / (u - 1) with u = 1 + e, e itself where u == 1. */
static inline vd log1p_unit(vd e) {
  const vd u = 1.0 + e;
  const vd d = u - 1.0;
  const vl one = (vl)(d == 0.0);
  const vd l = log(selectd(one, setd(2.0), u)) * (e / selectd(one, setd(1.0), d));
  return selectd(one, e, l);
}
/** log cosh x = |x| + log(1 + e^{-2|x|}) - log 2 (e^{-2|x|} taken at -2|x| >= -100, where it no longer counts). */
static inline vd logcosh(vd x) {
  const vd a = (vd)((vl)x & (int64_t)0x7fffffffffffffffLL);
  const vd m = -2.0 * a;
  const vd e = exp_neg(selectd((vl)(m > -100.0), m, setd(-100.0)));
  return (a + log1p_unit(e)) - 0.6931471805599453;
}
/** sin a and cos a for a in [0, 2 pi]: a = n pi/2 + r (three-part pi/2), Taylor series on |r| <= pi/4. */
static inline void sincos(vd a, vd* sn, vd* cs) {
  const vd magic = setd(6755399441055744.0);
  const vd t = a * 0.6366197723675814 + magic;
  const vd n = t - magic;
  vd r = a - n * 1.5707963267341256;
  r = r - n * 6.077100506303966e-11;
  r = r - n * 2.0222662487959506e-21;
  const vd z = r * r;
  // sin r = r + r z (-1/3! + z/5! - ...), cos r = 1 - z/2 + z^2 (1/4! - z/6! + z^2/8! - ...)
  vd ps = setd(1.0 / 355687428096000.0);  // 1/17!
  ps = ps * z + -1.0 / 1307674368000.0;    // -1/15!
  ps = ps * z + 1.0 / 6227020800.0;        // 1/13!
  ps = ps * z + -1.0 / 39916800.0;         // -1/11!
  ps = ps * z + 1.0 / 362880.0;            // 1/9!
  ps = ps * z + -1.0 / 5040.0;             // -1/7!
  ps = ps * z + 1.0 / 120.0;               // 1/5!
  ps = ps * z + -1.0 / 6.0;                // -1/3!
  const vd s = (r * z) * ps + r;
  vd pc = setd(-1.0 / 6402373705728000.0);  // -1/18!
  pc = pc * z + 1.0 / 20922789888000.0;      // 1/16!
  pc = pc * z + -1.0 / 87178291200.0;        // -1/14!
  pc = pc * z + 1.0 / 479001600.0;           // 1/12!
  pc = pc * z + -1.0 / 3628800.0;            // -1/10!
  pc = pc * z + 1.0 / 40320.0;               // 1/8!
  pc = pc * z + -1.0 / 720.0;                // -1/6!
  pc = pc * z + 1.0 / 24.0;                  // 1/4!
  const vd c = (z * z) * pc + (1.0 - 0.5 * z);
  // quadrant q = n mod 4: (sin, cos) = (s, c), (c, -s), (-s, -c), (-c, s)
  const vl q = ((vl)t - (vl)magic) & 3;
  const vl swap = (vl)((q & 1) != 0);
  const vl negS = (vl)((q & 2) != 0);
  const vl negC = (vl)(((q + 1) & 2) != 0);
  const vl signBit = (vl)setd(-0.0);
  const vd so = selectd(swap, c, s);
  const vd co = selectd(swap, s, c);
  *sn = (vd)((vl)so ^ (negS & signBit));
  *cs = (vd)((vl)co ^ (negC & signBit));
}

}  // namespace vmath
RFM_TIER_END
