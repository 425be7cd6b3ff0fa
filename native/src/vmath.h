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
}  // namespace vmath
}  // namespace rfm
#endif
