// Vectorised activations (AVX-512) for the fused linear kernels and the elementwise kernels:
// float, a few ulps from the double formulas of src/engine/kernels-ts.ts.
#pragma once
#include "common.h"

#if defined(__AVX512F__)
#include <immintrin.h>

namespace rfm {
// written so that no step cancels: gelu(x) = x sigmoid(2u) rather than 0.5 x (1 + tanh u)

namespace vmath {
static inline __m512 set(float v) { return _mm512_set1_ps(v); }

/**
 * e^x for x clamped to [lo, hi] (NaN kept: min / max return their second operand when one is
 * NaN): x = n ln2 + r with n rounded by the 1.5 * 2^23 trick, e^r by a degree-7 polynomial, times
 * 2^n (scalef handles over- and underflow).
 */
static inline __m512 exp_within(__m512 x, float lo, float hi) {
  x = _mm512_min_ps(set(hi), _mm512_max_ps(set(lo), x));
  const __m512 magic = set(12582912.0f);
  const __m512 n = _mm512_sub_ps(_mm512_fmadd_ps(x, set(1.44269504088896341f), magic), magic);
  __m512 r = _mm512_fnmadd_ps(n, set(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, set(-2.12194440e-4f), r);
  __m512 p = set(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, set(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, set(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, set(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, set(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, set(5.0000001201e-1f));
  const __m512 y = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, set(1.0f)));
  return _mm512_scalef_ps(y, n);
}
/** e^x over the whole float range (0 below -104, +inf above 89). */
static inline __m512 exp(__m512 x) { return exp_within(x, -104.0f, 89.0f); }
/**
 * 1 / d for d >= 1 (or +inf, or NaN): the 14-bit estimate refined by one Newton step (within an
 * ulp or two, several times cheaper than a division). d = +inf gives 0, as the division would.
 */
static inline __m512 recip(__m512 d) {
  const __m512 r = _mm512_rcp14_ps(d);
  const __m512 refined = _mm512_fmadd_ps(r, _mm512_fnmadd_ps(d, r, set(1.0f)), r);
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(r, _mm512_setzero_ps(), _CMP_EQ_OQ), refined, r);
}
/**
 * 1 / (1 + e^-x), with e^-x taken at -x clamped to [-87, 89]: below, the result is 1 in float
 * either way and e^-x never goes subnormal (subnormals cost a microcode assist each); above, it
 * overflows to +inf and the guarded reciprocal gives 0 (so gelu(-inf) = -inf * 0 = NaN, as the
 * double formula).
 */
static inline __m512 sigmoid(__m512 x) {
  return recip(_mm512_add_ps(set(1.0f), exp_within(_mm512_sub_ps(_mm512_setzero_ps(), x), -87.0f, 89.0f)));
}
/** tanh: odd series below |x| = 0.5, 1 - 2 / (1 + e^{2|x|}) above (with x's sign). */
static inline __m512 tanh(__m512 x) {
  const __m512 a = _mm512_abs_ps(x);
  const __m512 big = _mm512_fnmadd_ps(set(2.0f), recip(_mm512_add_ps(set(1.0f), exp(_mm512_add_ps(a, a)))), set(1.0f));
  const __m512 x2 = _mm512_mul_ps(x, x);
  __m512 q = set(-929569.0f / 638512875.0f);
  q = _mm512_fmadd_ps(q, x2, set(21844.0f / 6081075.0f));
  q = _mm512_fmadd_ps(q, x2, set(-1382.0f / 155925.0f));
  q = _mm512_fmadd_ps(q, x2, set(62.0f / 2835.0f));
  q = _mm512_fmadd_ps(q, x2, set(-17.0f / 315.0f));
  q = _mm512_fmadd_ps(q, x2, set(2.0f / 15.0f));
  q = _mm512_fmadd_ps(q, x2, set(-1.0f / 3.0f));
  const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(x, x2), q, x);
  // copy x's sign onto big (sign bit of x, magnitude of big)
  const __m512i sign = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u));
  const __m512 signedBig = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(big), sign));
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, set(0.5f), _CMP_LT_OQ), signedBig, small);
}
static constexpr float GC = 0.7978845608028654f, GA = 0.044715f;
/** sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3): gelu(x) = x s. */
static inline __m512 gelu_s(__m512 x) {
  const __m512 x2 = _mm512_mul_ps(x, x);
  const __m512 u = _mm512_mul_ps(set(GC), _mm512_fmadd_ps(_mm512_mul_ps(set(GA), x2), x, x));
  return sigmoid(_mm512_add_ps(u, u));
}
static inline __m512 act(int op, __m512 x) {
  switch (op) {
    case U_GELU: return _mm512_mul_ps(x, gelu_s(x));
    case U_TANH: return tanh(x);
    case U_SILU: return _mm512_mul_ps(x, sigmoid(x));
    default: return sigmoid(x);  // U_SIGMOID
  }
}

// --- double precision (Box-Muller normals): within an ulp or two of the C library's log / sin /
// cos, for the argument ranges used there

static inline __m512d setd(double v) { return _mm512_set1_pd(v); }
/** log x for finite x > 0 (normal): x = 2^e m, m in [sqrt(1/2), sqrt(2)), log m = 2 atanh((m - 1) / (m + 1)). */
static inline __m512d log_pd(__m512d x) {
  __m512d e = _mm512_getexp_pd(x);
  __m512d m = _mm512_getmant_pd(x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src);
  const __mmask8 big = _mm512_cmp_pd_mask(m, setd(1.4142135623730951), _CMP_GT_OQ);
  m = _mm512_mask_mul_pd(m, big, m, setd(0.5));
  e = _mm512_mask_add_pd(e, big, e, setd(1.0));
  const __m512d f = _mm512_div_pd(_mm512_sub_pd(m, setd(1.0)), _mm512_add_pd(m, setd(1.0)));
  const __m512d s = _mm512_mul_pd(f, f);
  // 2 atanh f = 2f + f s (2/3 + 2/5 s + 2/7 s^2 + ...), |f| < 0.172, s < 0.0295: 11 terms
  __m512d p = setd(2.0 / 25);
  p = _mm512_fmadd_pd(p, s, setd(2.0 / 23));
  p = _mm512_fmadd_pd(p, s, setd(2.0 / 21));
  p = _mm512_fmadd_pd(p, s, setd(2.0 / 19));
  p = _mm512_fmadd_pd(p, s, setd(2.0 / 17));
  p = _mm512_fmadd_pd(p, s, setd(2.0 / 15));
  p = _mm512_fmadd_pd(p, s, setd(2.0 / 13));
  p = _mm512_fmadd_pd(p, s, setd(2.0 / 11));
  p = _mm512_fmadd_pd(p, s, setd(2.0 / 9));
  p = _mm512_fmadd_pd(p, s, setd(2.0 / 7));
  p = _mm512_fmadd_pd(p, s, setd(2.0 / 5));
  p = _mm512_fmadd_pd(p, s, setd(2.0 / 3));
  const __m512d f2 = _mm512_add_pd(f, f);
  const __m512d logm = _mm512_fmadd_pd(_mm512_mul_pd(f, s), p, f2);
  // e ln2 in two parts (the high part has 32 bits: e ln2_hi is exact)
  return _mm512_fmadd_pd(e, setd(0.6931471803691238), _mm512_fmadd_pd(e, setd(1.9082149292705877e-10), logm));
}
/** e^x for x in [-100, 0] (and NaN): x = n ln2 + r, |r| <= ln2 / 2, Taylor series to r^13, times 2^n. */
static inline __m512d exp_neg_pd(__m512d x) {
  const __m512d n = _mm512_roundscale_pd(_mm512_mul_pd(x, setd(1.4426950408889634)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512d r = _mm512_fnmadd_pd(n, setd(0.6931471803691238), x);
  r = _mm512_fnmadd_pd(n, setd(1.9082149292705877e-10), r);
  __m512d p = setd(1.0 / 6227020800.0);  // 1/13!
  const double inv[] = {1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0,
                        1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0};
  for (double c : inv) p = _mm512_fmadd_pd(p, r, setd(c));
  return _mm512_scalef_pd(p, n);
}
/** log(1 + e) for e in [0, 1] (and NaN): log u * e / (u - 1) with u = 1 + e, e itself where u == 1. */
static inline __m512d log1p_unit_pd(__m512d e) {
  const __m512d u = _mm512_add_pd(setd(1.0), e);
  const __m512d d = _mm512_sub_pd(u, setd(1.0));
  const __mmask8 one = _mm512_cmp_pd_mask(d, _mm512_setzero_pd(), _CMP_EQ_OQ);
  const __m512d l = _mm512_mul_pd(log_pd(_mm512_mask_blend_pd(one, u, setd(2.0))), _mm512_div_pd(e, _mm512_mask_blend_pd(one, d, setd(1.0))));
  return _mm512_mask_blend_pd(one, l, e);
}
/** log cosh x = |x| + log(1 + e^{-2|x|}) - log 2 (e^{-2|x|} taken at -2|x| >= -100, where it no longer counts). */
static inline __m512d logcosh_pd(__m512d x) {
  const __m512d a = _mm512_abs_pd(x);
  const __m512d e = exp_neg_pd(_mm512_max_pd(setd(-100.0), _mm512_mul_pd(setd(-2.0), a)));
  return _mm512_sub_pd(_mm512_add_pd(a, log1p_unit_pd(e)), setd(0.6931471805599453));
}
/** sin a and cos a for a in [0, 2 pi]: a = n pi/2 + r (three-part pi/2), Taylor series on |r| <= pi/4. */
static inline void sincos_pd(__m512d a, __m512d* sn, __m512d* cs) {
  const __m512d n = _mm512_roundscale_pd(_mm512_mul_pd(a, setd(0.6366197723675814)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512d r = _mm512_fnmadd_pd(n, setd(1.5707963267341256), a);
  r = _mm512_fnmadd_pd(n, setd(6.077100506303966e-11), r);
  r = _mm512_fnmadd_pd(n, setd(2.0222662487959506e-21), r);
  const __m512d z = _mm512_mul_pd(r, r);
  // sin r = r + r z (-1/3! + z/5! - ...), cos r = 1 - z/2 + z^2 (1/4! - z/6! + z^2/8! - ...)
  __m512d ps = setd(1.0 / 355687428096000.0);        // 1/17!
  ps = _mm512_fmadd_pd(ps, z, setd(-1.0 / 1307674368000.0));  // -1/15!
  ps = _mm512_fmadd_pd(ps, z, setd(1.0 / 6227020800.0));      // 1/13!
  ps = _mm512_fmadd_pd(ps, z, setd(-1.0 / 39916800.0));       // -1/11!
  ps = _mm512_fmadd_pd(ps, z, setd(1.0 / 362880.0));          // 1/9!
  ps = _mm512_fmadd_pd(ps, z, setd(-1.0 / 5040.0));           // -1/7!
  ps = _mm512_fmadd_pd(ps, z, setd(1.0 / 120.0));             // 1/5!
  ps = _mm512_fmadd_pd(ps, z, setd(-1.0 / 6.0));              // -1/3!
  const __m512d s = _mm512_fmadd_pd(_mm512_mul_pd(r, z), ps, r);
  __m512d pc = setd(-1.0 / 6402373705728000.0);                 // -1/18!
  pc = _mm512_fmadd_pd(pc, z, setd(1.0 / 20922789888000.0));     // 1/16!
  pc = _mm512_fmadd_pd(pc, z, setd(-1.0 / 87178291200.0));       // -1/14!
  pc = _mm512_fmadd_pd(pc, z, setd(1.0 / 479001600.0));          // 1/12!
  pc = _mm512_fmadd_pd(pc, z, setd(-1.0 / 3628800.0));           // -1/10!
  pc = _mm512_fmadd_pd(pc, z, setd(1.0 / 40320.0));              // 1/8!
  pc = _mm512_fmadd_pd(pc, z, setd(-1.0 / 720.0));               // -1/6!
  pc = _mm512_fmadd_pd(pc, z, setd(1.0 / 24.0));                 // 1/4!
  const __m512d c = _mm512_fmadd_pd(_mm512_mul_pd(z, z), pc, _mm512_fnmadd_pd(setd(0.5), z, setd(1.0)));
  // quadrant q = n mod 4: (sin, cos) = (s, c), (c, -s), (-s, -c), (-c, s)
  const __m512i q = _mm512_and_si512(_mm512_cvtpd_epi64(n), _mm512_set1_epi64(3));
  const __mmask8 swap = _mm512_test_epi64_mask(q, _mm512_set1_epi64(1));
  const __mmask8 negS = _mm512_test_epi64_mask(q, _mm512_set1_epi64(2));
  const __mmask8 negC = _mm512_test_epi64_mask(_mm512_add_epi64(q, _mm512_set1_epi64(1)), _mm512_set1_epi64(2));
  __m512d so = _mm512_mask_blend_pd(swap, s, c);
  __m512d co = _mm512_mask_blend_pd(swap, c, s);
  so = _mm512_mask_sub_pd(so, negS, _mm512_setzero_pd(), so);
  co = _mm512_mask_sub_pd(co, negC, _mm512_setzero_pd(), co);
  *sn = so;
  *cs = co;
}
}  // namespace vmath
}  // namespace rfm
#endif
