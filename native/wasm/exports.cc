// The WebAssembly module's exports: C functions over pointers into the module's memory that call
// the kernels of native/src/ (built without RFM_TIER: the plain rfm:: kernels, one tier, 128-bit
// SIMD). The TypeScript side (src/engine/backend-wasm.ts) checks every size before calling, as
// native/src/addon.cc does for the Node-API addon, and copies arrays in and out of the memory.
#include <cstdlib>

#include "../src/common.h"

#define RFM_EXPORT(name) extern "C" __attribute__((export_name(#name)))

/** n bytes of the module's memory (16-byte aligned), or 0 when it cannot grow that far. */
RFM_EXPORT(rfm_alloc) void* rfm_alloc(unsigned long n) { return std::aligned_alloc(16, (n + 15) / 16 * 16); }
RFM_EXPORT(rfm_free) void rfm_free(void* p) { std::free(p); }

RFM_EXPORT(rfm_unary) void rfm_unary(int op, const float* x, float* out, long n, float p0, float p1) {
  rfm::unary(op, x, out, n, p0, p1);
}
RFM_EXPORT(rfm_unary_backward)
void rfm_unary_backward(int op, const float* x, const float* y, const float* gy, float* gx, long n, float p0, float p1) {
  rfm::unary_backward(op, x, y, gy, gx, n, p0, p1);
}
RFM_EXPORT(rfm_matmul)
void rfm_matmul(const float* A, const float* B, float* C, long M, long N, long K, int flags, long batch, long sA, long sB,
                long sC) {
  rfm::matmul(A, B, C, M, N, K, flags & 1, flags & 2, flags & 4, batch, sA, sB, sC);
}
RFM_EXPORT(rfm_linear)
void rfm_linear(const float* x, const float* w, const float* bias, float* y, float* pre, long M, long N, long K, int act,
                long groups, const float* res) {
  rfm::linear(x, w, bias, y, pre, M, N, K, act, groups, res);
}
RFM_EXPORT(rfm_linear_backward)
void rfm_linear_backward(const float* x, const float* w, const float* pre, const float* y, const float* gy, float* gx,
                         float* gw, float* gb, float* scratch, long M, long N, long K, int act, int accumulate,
                         long groups) {
  rfm::linear_backward(x, w, pre, y, gy, gx, gw, gb, scratch, M, N, K, act, accumulate != 0, groups);
}

/**
 * The layers of mlp_forward / mlp_euler from meta (per layer: in, out, act, residual, biasGroups)
 * and ptrs (per layer: w, b or 0), at most 12.
 */
static int layers_of(const int* meta, const float* const* ptrs, int nl, rfm::MlpLayer* out) {
  if (nl < 1 || nl > 12) return 0;
  for (int l = 0; l < nl; l++) {
    const int* m = meta + 5 * l;
    out[l] = rfm::MlpLayer{ptrs[2 * l], ptrs[2 * l + 1], m[0], m[1], m[2], m[3] != 0, m[4]};
  }
  return nl;
}
RFM_EXPORT(rfm_mlp_forward)
void rfm_mlp_forward(const float* x, long M, const int* meta, const float* const* ptrs, int nl, float* y) {
  rfm::MlpLayer layers[12];
  if (layers_of(meta, ptrs, nl, layers)) rfm::mlp_forward(x, M, layers, nl, y);
}
RFM_EXPORT(rfm_mlp_euler)
void rfm_mlp_euler(const float* y0, long M, const int* meta, const float* const* ptrs, int nl, int steps,
                   const float* stepBias, long groups, const float* h, float* y) {
  rfm::MlpLayer layers[12];
  if (layers_of(meta, ptrs, nl, layers)) rfm::mlp_euler(y0, M, layers, nl, steps, stepBias, groups, h, y);
}

// Strided walks (rfm::Walk) as the backend writes them: int32 nd, shape[16], off[3], stride[3][16]
// (long is 32 bits on wasm32).
static_assert(sizeof(rfm::Walk) == 4 * (1 + 16 + 3 + 3 * 16), "Walk: the layout backend-wasm.ts writes");
RFM_EXPORT(rfm_binary) void rfm_binary(int op, const float* a, const float* b, float* out, const rfm::Walk* w) {
  rfm::binary(op, a, b, out, *w);
}
RFM_EXPORT(rfm_where) void rfm_where(const float* c, const float* a, const float* b, float* out, const rfm::Walk* w) {
  rfm::where(c, a, b, out, *w);
}
RFM_EXPORT(rfm_copy) void rfm_copy(const float* src, float* dst, const rfm::Walk* w, int accumulate) {
  rfm::copy(src, dst, *w, accumulate != 0);
}
