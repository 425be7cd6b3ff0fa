// Shared declarations of the native backend's kernels (gemm.cc, elementwise.cc, fused.cc) and the
// Node-API glue (addon.cc). All arrays are float32; sizes are element counts.
//
// Instruction-set tiers: the kernel sources are compiled once per tier (binding.gyp), each copy
// with RFM_TIER defined to the tier's name (avx512, avx2, baseline, neon), which puts its kernels
// in namespace rfm::<tier>. Every tier fills a Kernels table (tier.cc); dispatch.cc, compiled for
// the baseline, picks one at load (the CPU's features, or RFM_ISA) and defines the plain rfm::
// kernels (what addon.cc calls) as calls through it. Nothing in a tier's objects runs before that
// choice: no static initialisers, no inline functions shared with the baseline objects
// (scripts/check-tiers.mjs checks the built objects).
#pragma once
#include <cstddef>
#include <cstdint>

#if defined(RFM_TIER)
#define RFM_TIER_BEGIN \
  namespace rfm {      \
  namespace RFM_TIER {
#define RFM_TIER_END \
  }                  \
  }
#else
#define RFM_TIER_BEGIN namespace rfm {
#define RFM_TIER_END }
#endif

namespace rfm {

// Op codes: the index of each op in UNARY_OPS / BINARY_OPS of src/engine/backend.ts.
enum Unary {
  U_NEG, U_EXP, U_LOG, U_LOG1P, U_TANH, U_SIGMOID, U_SOFTPLUS, U_RELU, U_GELU, U_SILU, U_MISH,
  U_SIN, U_COS, U_SQUARE, U_SQRT, U_ABS, U_RECIP, U_LOGCOSH, U_POWSCALAR, U_CLAMP, U_SIGN,
  U_COUNT
};
enum Binary { B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MIN, B_MAX, B_GT, B_GE, B_LT, B_LE, B_EQ, B_COUNT };
// Activations of the fused linear kernels use the unary codes; ACT_NONE is the identity.
constexpr int ACT_NONE = -1;
/** Outputs of at most this many columns take dot products rather than the packed GEMM. */
constexpr long NARROW_MAX = 8;
/** The widest layer input (and hidden width) of the row-block kernels: their A strips hold MR x this. */
constexpr long BLOCK_MAX_DEPTH = 512;

/** Threads the kernels use (the pool's, including the caller). */
int max_threads();

/**
 * A strided walk over a contiguous output of `nd` dims: views[v] gives offset and strides.
 * At most 8 dims (the engine's tensors have few axes; the glue merges contiguous runs).
 */
constexpr int MAX_DIMS = 16;
struct Walk {
  int nd;
  long shape[MAX_DIMS];
  long off[3];
  long stride[3][MAX_DIMS];
};
/** One layer of mlp_mse_grads: y = act(x W^T + b) (+ x when residual); gw, gb accumulate. */
struct TrainLayer {
  const float* w;
  const float* b;  // [out] or null
  long in, out;
  int act;  // not tanh or sigmoid when residual
  bool residual;
  float* gw;  // [out, in], accumulated (or null)
  float* gb;  // [out], accumulated (or null)
};

/** One dense layer of mlp_forward: y = act(x W^T + b) (+ x when residual); W [out, in]. */
struct MlpLayer {
  const float* w;
  const float* b;  // [biasGroups, out] or null
  long in, out;
  int act;
  bool residual;  // requires in == out
  long biasGroups;  // > 1 only where out > 8
};

/**
 * One ReLU critic [state, action] -> H1 -> H2 -> 1 of twin_relu_critic_min: w1a points at the
 * first layer's action columns (row j at w1a + j * ldw1); cond [G, H1] is each state's share of
 * the first layer plus its bias; w2 [H2, H1], b2 [H2], w3 [H2], b3 [1] (b2, b3 may be null).
 */
struct ReluCritic {
  const float* w1a;
  long ldw1;
  const float* cond;
  const float* w2;
  const float* b2;
  const float* w3;
  const float* b3;
};

}  // namespace rfm

RFM_TIER_BEGIN

// ---- elementwise (elementwise.cc) ------------------------------------------------------------
void unary(int op, const float* x, float* out, long n, float p0, float p1);
void unary_backward(int op, const float* x, const float* y, const float* gy, float* gx, long n, float p0, float p1);
/** act(z) elementwise over rows x cols of a row-major block (ld: row stride), z may alias y. */
void activate_rows(int act, const float* z, long ldz, float* y, long ldy, long rows, long cols);
/** gz = gy * act'(z) over n elements (y = act(z) given too). */
void activation_backward(int act, const float* z, const float* y, const float* gy, float* gz, long n);

void binary(int op, const float* a, const float* b, float* out, const Walk& w);
void where(const float* c, const float* a, const float* b, float* out, const Walk& w);
void copy(const float* src, float* dst, const Walk& w, bool accumulate);

void fill(float* out, long n, float v);
void axpy(float alpha, const float* x, float* y, long n);
void scale(const float* x, float alpha, float* out, long n);
void reduce(int op, const float* x, float* out, long outer, long len, long inner);
void arg_reduce(int op, const float* x, float* out, long outer, long len, long inner);
double sum_squares(const float* x, long n);
void gather(const float* src, const float* idx, float* out, long outer, long srcLen, long inner, long nIdx);
void scatter_add(const float* gout, const float* idx, float* gsrc, long outer, long srcLen, long inner, long nIdx);
void adam(float* p, const float* g, float* m, float* v, long n, const double* hp);

// ---- linear algebra (gemm.cc) ------------------------------------------------------------------
/** C [M,N] (+)= op(A) op(B) for `batch` problems; see Backend.matmul. */
void matmul(const float* A, const float* B, float* C, long M, long N, long K, bool transA, bool transB,
            bool accumulate, long batch, long strideA, long strideB, long strideC);
/**
 * y = act(x W^T + bias) (+ res); pre (optional) receives x W^T + bias. The bias has biasGroups
 * rows (M divisible by it): row i of x uses bias row i / (M / biasGroups). res: [M, N] or null.
 */
void linear(const float* x, const float* w, const float* bias, float* y, float* pre, long M, long N, long K, int act,
            long biasGroups = 1, const float* res = nullptr);
/** See Backend.linearBackward. */
void linear_backward(const float* x, const float* w, const float* pre, const float* y, const float* gy, float* gx,
                     float* gw, float* gb, float* scratch, long M, long N, long K, int act, bool accumulate,
                     long biasGroups = 1);

/**
 * The regression loss scale * mean((f(x) - target)^2) of an MLP f (x [M, in], target [M, out]),
 * its gradients accumulated into every layer's gw, gb: the forward with `linear` and the backward
 * with `linear_backward`, as the engine's autodiff composes them. pred (or null) receives f(x).
 */
double mlp_mse_grads(const float* x, const float* target, long M, const TrainLayer* L, int nl, double scale, float* pred);

/**
 * A whole MLP forward (no gradient) for x [M, layers[0].in] into y [M, layers[nl-1].out], blocks
 * of rows passing through every layer while they sit in cache. Every layer's in is at most 512.
 */
void mlp_forward(const float* x, long M, const MlpLayer* layers, int nl, float* y);
/**
 * Euler integration through a chain: y = y0 [M, D], then for k < steps y = y + h[k] chain_k(y),
 * where chain_k is the chain with layer 0's bias replaced by stepBias [steps, groups, layers[0].out]
 * row block k (row i of y uses group i / (M / groups)). The chain maps D to D. The product h v and
 * the sum are rounded separately, as the engine's scale and add.
 */
void mlp_euler(const float* y0, long M, const MlpLayer* layers, int nl, int steps, const float* stepBias, long groups,
               const float* h, float* y);

/**
 * Twin critics at actions act [M, A] whose states repeat in G groups of M / G rows: q1, q2 [M],
 * and (grad non-null) d min(q1, q2) / d act [M, A] through the critic giving the minimum (the
 * first on ties). Blocks of rows stay in cache; only the minimum's critic is differentiated.
 * H1, H2 at most 512; A at most 512.
 */
void twin_relu_critic_min(const float* act, long M, long A, long H1, long H2, long G, const ReluCritic* critics,
                          float* q1, float* q2, float* grad);

/** n Philox4x32-10 blocks (4 uint32 each) for counters (lo + i, hi + carry, 0, 0), key (k0, k1). */
void philox_blocks(uint32_t* out, uint32_t k0, uint32_t k1, uint32_t lo, uint32_t hi, long n);
/**
 * n normals N(mean, sd^2) into out, a pair per Philox block (counters from (lo, hi) on) by the
 * Box-Muller formula of src/engine/rng.ts (Rng.fillNormal's aligned part), in double, rounded to
 * float at the end.
 */
/**
 * The self-normalised posterior mean of src/estimators/posterior-mean.ts (posteriorMean), in
 * double per row b < B over K proposals of dimension D: weights w = softmax(logits) [B, K] out;
 * m [B, D] = sum w x1 + c sum w s with the score s = grads + aOverB[b] x0; c [B, D] out: the
 * autotuned control variate (cvAuto: ridge, clip) or cRow[b] for every d. diag[4]: mean ESS
 * 1 / sum w^2, mean c, mean largest weight, mean logit spread.
 */
void posterior_mean(const float* x1, const float* x0, const float* logits, const float* grads, const float* aOverB,
                    const float* cRow, long B, long K, long D, int cvAuto, double ridge, double clip, float* m, float* c,
                    float* w, double* diag);
void normals_from_blocks(float* out, long n, uint32_t k0, uint32_t k1, uint32_t lo, uint32_t hi, double mean, double sd);
/**
 * The tanh-latent terms of a log-target moved from actions a = tanh(y) to latents y, for n rows of
 * d: value [n] = v + sum_j log sech^2 y_j, grad [n, d] = g (1 - a^2) - 2a (v, g: the target's value
 * and gradient at a); rounded as the engine's composition of the same formula.
 */
void tanh_latent_terms(const float* y, const float* a, const float* v, const float* g, long n, long d, float* value,
                       float* grad);


/**
 * The vector math function `name` of vmath.h at n points (a test hook): float functions (exp,
 * sigmoid, tanh, gelu, silu, gelu_grad, silu_grad) at x rounded to float; double ones (log,
 * exp_neg, sin, cos, logcosh) at x. False if the name is unknown.
 */
bool vmath_eval(const char* name, const double* x, double* out, long n);

RFM_TIER_END

namespace rfm {

// The kernels one tier provides, as a table of function pointers (filled by each tier's tier.cc).
#define RFM_KERNEL_LIST(X)                                                                                         \
  X(unary) X(unary_backward) X(binary) X(where) X(copy) X(fill) X(axpy) X(scale) X(reduce) X(arg_reduce)          \
  X(sum_squares) X(gather) X(scatter_add) X(adam) X(matmul) X(linear) X(linear_backward) X(mlp_mse_grads)         \
  X(mlp_forward) X(mlp_euler) X(twin_relu_critic_min) X(philox_blocks) X(posterior_mean) X(normals_from_blocks) \
  X(tanh_latent_terms) X(vmath_eval)

#if defined(RFM_TIER)
#define RFM_KERNEL_NS rfm::RFM_TIER
#else
#define RFM_KERNEL_NS rfm
#endif
struct Kernels {
  const char* isa;
#define RFM_KERNEL_FIELD(f) decltype(&RFM_KERNEL_NS::f) f;
  RFM_KERNEL_LIST(RFM_KERNEL_FIELD)
#undef RFM_KERNEL_FIELD
};

#if defined(RFM_TIER)
namespace RFM_TIER {
/** This tier's table. */
const Kernels& kernels();
}  // namespace RFM_TIER
#else
/**
 * The tier in use ("avx512", "avx2", "baseline", "neon"), chosen at the first call from the CPU's
 * features or RFM_ISA; null (with *error set) when RFM_ISA names a tier this build or CPU lacks.
 */
const Kernels* active_kernels(const char** error);
#endif

}  // namespace rfm
