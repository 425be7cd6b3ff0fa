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

// ---- reductions, gather / scatter, Adam -------------------------------------------------------
RFM_EXPORT(rfm_reduce) void rfm_reduce(int op, const float* x, float* out, long outer, long len, long inner) {
  rfm::reduce(op, x, out, outer, len, inner);
}
RFM_EXPORT(rfm_arg_reduce) void rfm_arg_reduce(int op, const float* x, float* out, long outer, long len, long inner) {
  rfm::arg_reduce(op, x, out, outer, len, inner);
}
RFM_EXPORT(rfm_sum_squares) double rfm_sum_squares(const float* x, long n) { return rfm::sum_squares(x, n); }
RFM_EXPORT(rfm_gather)
void rfm_gather(const float* src, const float* idx, float* out, long outer, long srcLen, long inner, long nIdx) {
  rfm::gather(src, idx, out, outer, srcLen, inner, nIdx);
}
RFM_EXPORT(rfm_scatter_add)
void rfm_scatter_add(const float* gout, const float* idx, float* gsrc, long outer, long srcLen, long inner, long nIdx) {
  rfm::scatter_add(gout, idx, gsrc, outer, srcLen, inner, nIdx);
}
/** One Adam(W) step of n parameters; the hyper-parameters in the order of rfm::adam's hp. */
RFM_EXPORT(rfm_adam)
void rfm_adam(float* p, const float* g, float* m, float* v, long n, double lr, double beta1, double beta2, double eps,
              double weightDecay, double bc1, double bc2, double gradScale) {
  const double hp[8] = {lr, beta1, beta2, eps, weightDecay, bc1, bc2, gradScale};
  rfm::adam(p, g, m, v, n, hp);
}

// ---- the fused kernels of the agents ----------------------------------------------------------
/**
 * The twin critics of rfm::twin_relu_critic_min: meta = [M, A, H1, H2, G, ldw1, offset] and
 * ptrs = per critic w1, cond, w2, b2 (or 0), w3, b3 (or 0); w1's action columns start at offset.
 */
RFM_EXPORT(rfm_twin_relu_critic_min)
void rfm_twin_relu_critic_min(const float* act, const int* meta, const float* const* ptrs, float* q1, float* q2,
                              float* grad) {
  rfm::ReluCritic cs[2];
  for (int c = 0; c < 2; c++) {
    const float* const* p = ptrs + 6 * c;
    cs[c] = rfm::ReluCritic{p[0] + meta[6], meta[5], p[1], p[2], p[3], p[4], p[5]};
  }
  rfm::twin_relu_critic_min(act, meta[0], meta[1], meta[2], meta[3], meta[4], cs, q1, q2, grad);
}

/**
 * rfm::mlp_mse_grads over nl layers (at most 12): meta = per layer in, out, act, residual;
 * ptrs = per layer w, b, gw, gb (each but w may be 0). Returns the loss.
 */
RFM_EXPORT(rfm_mlp_mse_grads)
double rfm_mlp_mse_grads(const float* x, const float* target, float* pred, long M, const int* meta,
                         float* const* ptrs, int nl, double scale) {
  if (nl < 1 || nl > 12) return 0;
  rfm::TrainLayer layers[12];
  for (int l = 0; l < nl; l++) {
    const int* m = meta + 4 * l;
    float* const* p = ptrs + 4 * l;
    layers[l] = rfm::TrainLayer{p[0], p[1], m[0], m[1], m[2], m[3] != 0, p[2], p[3]};
  }
  return rfm::mlp_mse_grads(x, target, M, layers, nl, scale, pred);
}

/** rfm::posterior_mean; cRow 0 for the autotuned control variate; diag: 4 doubles out. */
RFM_EXPORT(rfm_posterior_mean)
void rfm_posterior_mean(const float* x1, const float* x0, const float* logits, const float* grads,
                        const float* aOverB, const float* cRow, long B, long K, long D, double ridge, double clip,
                        float* m, float* c, float* w, double* diag) {
  rfm::posterior_mean(x1, x0, logits, grads, aOverB, cRow, B, K, D, cRow ? 0 : 1, ridge, clip, m, c, w, diag);
}
