// The model-specific fused kernels: whole computations of the agents in one call, each tested
// against the engine's composition of the same formula. mlp_forward, mlp_euler and
// twin_relu_critic_min pass blocks of rows through every layer while they sit in cache (on the
// GEMM's micro-kernel, gemm.cc); mlp_mse_grads chains linear / linear_backward; posterior_mean
// is the self-normalised posterior mean of src/estimators/posterior-mean.ts.
#include <atomic>
#include <vector>

#include "gemm_kernel.h"

RFM_TIER_BEGIN

static thread_local Buffer tl_train;  // mlp_mse_grads' activations and gradients (reused call to call)

double mlp_mse_grads(const float* x, const float* target, long M, const TrainLayer* L, int nl, double scale, float* pred) {
  if (M <= 0 || nl <= 0) return 0;
  // one workspace: each layer's pre-activation and output, then gy, gx and scratch at the widest
  long width = L[0].in, acts = 0;
  for (int l = 0; l < nl; l++) {
    width = std::max(width, L[l].out);
    acts += 2 * M * L[l].out;
  }
  float* ws = tl_train.get((size_t)(acts + 3 * M * width));
  std::vector<float*> ys(nl), pres(nl);
  float* at = ws;
  for (int l = 0; l < nl; l++) {
    pres[l] = at;
    ys[l] = at + M * L[l].out;
    at += 2 * M * L[l].out;
  }
  float* gy = at;
  float* gx = gy + M * width;
  float* scratch = gx + M * width;
  // a small network's dozen small products: handing each to the workers costs more than it saves
  double flops = 0;
  for (int l = 0; l < nl; l++) flops += 6.0 * M * L[l].in * L[l].out;
  const SerialScope serial(flops < 16 * par_min_flops());
  // forward
  const float* h = x;
  for (int l = 0; l < nl; l++) {
    linear(h, L[l].w, L[l].b, ys[l], pres[l], M, L[l].out, L[l].in, L[l].act, 1, L[l].residual ? h : nullptr);
    h = ys[l];
  }
  // loss = scale mean((y - target)^2) and its gradient 2 scale (y - target) / size
  const long n = M * L[nl - 1].out;
  const float* y = ys[nl - 1];
  double loss = 0;
  const double k = 2 * scale / (double)n;
  for (long i = 0; i < n; i++) {
    const double d = (double)y[i] - target[i];
    loss += d * d;
    gy[i] = (float)(k * d);
  }
  if (pred) std::memcpy(pred, y, (size_t)n * sizeof(float));
  // backward, layer by layer, the weight gradients accumulated
  for (int l = nl - 1; l >= 0; l--) {
    const TrainLayer& T = L[l];
    const float* in = l == 0 ? x : ys[l - 1];
    linear_backward(in, T.w, pres[l], ys[l], gy, l > 0 ? gx : nullptr, T.gw, T.gb, scratch, M, T.out, T.in, T.act, true, 1);
    if (l == 0) break;
    // a residual layer's input also receives the output's gradient directly
    if (T.residual)
      for (long i = 0; i < M * T.in; i++) gx[i] += gy[i];
    std::swap(gx, gy);
  }
  return scale * loss / (double)n;
}

// ---------------------------------------------------------------------------------------------
// kernels over blocks of rows that stay in cache: a whole MLP forward, and twin ReLU critics with
// the input gradient of their minimum

static thread_local Buffer tl_blk_w;    // packed weights (the calling thread's)
static thread_local Buffer tl_blk_act;  // per-thread block buffers
constexpr long RB = MR * (48 / MR);      // rows per block (48: 4 strips of AVX-512, 8 of AVX2)
// mlp_euler takes a block of rows through all its steps in one work item up to this many flops
constexpr double EULER_BLOCK_FLOPS = 8e6;

/** The weights of a chain of layers packed once into the micro-kernel's panels (see mlp_forward). */
struct PackedChain {
  float* packed = nullptr;
  std::vector<long> at;  // each layer's offset in packed, or -1 (few outputs: dot products)
  long maxWidth = 0;
  double flopsPerRow = 0;
};

static PackedChain pack_chain(const MlpLayer* layers, int nl) {
  PackedChain pc;
  pc.at = std::vector<long>((size_t)nl, -1L);
  long total = 0;
  for (int l = 0; l < nl; l++) {
    const MlpLayer& L = layers[l];
    pc.maxWidth = std::max(pc.maxWidth, L.out);
    pc.flopsPerRow += 2.0 * L.in * L.out;
    if (L.out > NARROW_MAX) {
      pc.at[l] = total;
      total += packed_size(L.in, L.out);
    }
  }
  // B(k, j) = W[j, k]
  pc.packed = tl_blk_w.get((size_t)std::max<long>(total, 1));
  for (int l = 0; l < nl; l++)
    if (pc.at[l] >= 0) pack_b_all(layers[l].w, 1, layers[l].in, layers[l].in, layers[l].out, pc.packed + pc.at[l]);
  return pc;
}

/**
 * Rows i0 .. i0 + rb of a chain: in (row stride ldin) through every layer into out (row stride
 * ldout); bufs holds two [RB, ldAct] activations, apack one A strip. M is the chain's row count
 * (for bias groups); layer 0 takes bias0 (its groups: groups0) in place of its own bias.
 */
static void chain_block(const MlpLayer* layers, int nl, const PackedChain& pc, long M, long i0, long rb, const float* in,
                        long ldin, float* out, long ldout, float* bufs, long ldAct, float* apack, const float* bias0,
                        long groups0) {
  const float* cur = in;
  long ldc = ldin;
  for (int l = 0; l < nl; l++) {
    const MlpLayer& L = layers[l];
    const bool last = l + 1 == nl;
    float* dst = last ? out : bufs + (l % 2) * RB * ldAct;
    const long ldd = last ? ldout : ldAct;
    const float* bias = l == 0 ? bias0 : L.b;
    const long groups = l == 0 ? groups0 : L.biasGroups;
    const long div = groups > 1 ? M / groups : 0;
    if (pc.at[l] < 0) {
      // few outputs: dot products (no grouped bias here: the caller checks)
      Epilogue ep{bias, L.act, dst, ldd, 0, L.out, L.residual ? cur : nullptr, ldc};
      Gemm g{cur, ldc, 1, L.w, 1, L.in, dst, ldd, rb, L.out, L.in, false, (bias || L.act != ACT_NONE || L.residual) ? &ep : nullptr};
      dots_any(g, rb);
    } else if (tile_act(L.act)) {
      const TileEpi te{bias, div, L.out, i0, L.act, nullptr, 0, L.residual ? cur : nullptr, ldc};
      block_gemm(cur, ldc, rb, L.in, pc.packed + pc.at[l], L.out, dst, ldd, &te, apack);
    } else {
      block_gemm(cur, ldc, rb, L.in, pc.packed + pc.at[l], L.out, dst, ldd, nullptr, apack);
      Epilogue ep{bias, L.act, dst, ldd, div, L.out, L.residual ? cur : nullptr, ldc, i0};
      apply_epilogue(&ep, dst, ldd, 0, rb, 0, L.out);
    }
    cur = dst;
    ldc = ldd;
  }
}

void mlp_forward(const float* x, long M, const MlpLayer* layers, int nl, float* y) {
  if (M <= 0 || nl <= 0) return;
  const PackedChain pc = pack_chain(layers, nl);
  const long ldAct = ceil_div(pc.maxWidth, 16) * 16;
  parallel_for(ceil_div(M, RB), 1, worth_threads(pc.flopsPerRow * M), [&](long b0, long b1) {
    float* bufs = tl_blk_act.get((size_t)2 * RB * ldAct + (size_t)MR * BLOCK_MAX_DEPTH);
    float* apack = bufs + 2 * RB * ldAct;
    for (long blk = b0; blk < b1; blk++) {
      const long i0 = blk * RB;
      const long rb = std::min(RB, M - i0);
      chain_block(layers, nl, pc, M, i0, rb, x + i0 * layers[0].in, layers[0].in, y + i0 * layers[nl - 1].out,
                  layers[nl - 1].out, bufs, ldAct, apack, layers[0].b, layers[0].biasGroups);
    }
  });
}

/** y += h v, rounded as the product and then the sum (the engine's scale, then add): no FMA. */
__attribute__((noinline, optimize("fp-contract=off"))) static void euler_update(float* __restrict y, const float* __restrict v,
                                                                              float h, long n) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
  for (long i = 0; i < n; i++) y[i] = y[i] + v[i] * h;
}

void mlp_euler(const float* y0, long M, const MlpLayer* layers, int nl, int steps, const float* stepBias, long groups,
               const float* h, float* y) {
  if (M <= 0 || nl <= 0) return;
  const long D = layers[0].in;
  if (steps <= 0) {
    std::memcpy(y, y0, (size_t)(M * D) * sizeof(float));
    return;
  }
  const PackedChain pc = pack_chain(layers, nl);
  const long ldAct = ceil_div(pc.maxWidth, 16) * 16;
  const long H0 = layers[0].out;
  // the block's steps from k0 to k1 (y holds the block's rows between calls)
  auto run = [&](long blk, int k0, int k1) {
    float* bufs = tl_blk_act.get((size_t)2 * RB * ldAct + (size_t)RB * D + (size_t)MR * BLOCK_MAX_DEPTH);
    float* v = bufs + 2 * RB * ldAct;
    float* apack = v + RB * D;
    const long i0 = blk * RB;
    const long rb = std::min(RB, M - i0);
    float* __restrict yb = y + i0 * D;
    if (k0 == 0) std::memcpy(yb, y0 + i0 * D, (size_t)(rb * D) * sizeof(float));
    for (int k = k0; k < k1; k++) {
      chain_block(layers, nl, pc, M, i0, rb, yb, D, v, D, bufs, ldAct, apack, stepBias + (long)k * groups * H0, groups);
      euler_update(yb, v, h[k], rb * D);
    }
  };
  const long blocks = ceil_div(M, RB);
  const bool threaded = worth_threads(pc.flopsPerRow * M * steps);
  if (pc.flopsPerRow * RB * steps <= EULER_BLOCK_FLOPS) {
    // rows are independent through every step: each block of rows makes all its steps in cache
    parallel_for(blocks, 1, threaded, [&](long b0, long b1) {
      for (long blk = b0; blk < b1; blk++) run(blk, 0, steps);
    });
  } else {
    // a block's every step would be a long work item (the pool reads a long wait for a worker as
    // a crowded machine): one pass over the blocks per step
    for (int k = 0; k < steps; k++)
      parallel_for(blocks, 1, threaded, [&](long b0, long b1) {
        for (long blk = b0; blk < b1; blk++) run(blk, k, k + 1);
      });
  }
}

void twin_relu_critic_min(const float* act, long M, long A, long H1, long H2, long G, const ReluCritic* critics,
                          float* q1, float* q2, float* grad) {
  if (M <= 0) return;
  // packed weights per critic: layer 1 (action columns) and 2 forward; 2 and 1 (action columns) backward
  const long s1 = packed_size(A, H1), s2 = packed_size(H1, H2), s2t = packed_size(H2, H1), s1t = packed_size(H1, A);
  const long per = s1 + s2 + s2t + s1t;
  float* packed = tl_blk_w.get((size_t)2 * per);
  for (int c = 0; c < 2; c++) {
    const ReluCritic& C = critics[c];
    float* p = packed + c * per;
    pack_b_all(C.w1a, 1, C.ldw1, A, H1, p);                  // B(k, j) = W1[j, O + k]
    pack_b_all(C.w2, 1, H1, H1, H2, p + s1);                 // B(k, j) = W2[j, k]
    pack_b_all(C.w2, H1, 1, H2, H1, p + s1 + s2);            // B(k, j) = W2[k, j]
    pack_b_all(C.w1a, C.ldw1, 1, H1, A, p + s1 + s2 + s2t);  // B(k, j) = W1[k, O + j]
  }
  const long div = G > 1 ? M / G : 0;
  const long ld = ceil_div(std::max(H1, H2), 16) * 16;
  const long ldA = ceil_div(A, 16) * 16;
  const double flops = 2.0 * M * (2 * (A * H1 + H1 * H2 + H2) + (grad ? H2 * H1 + H1 * A : 0));
  parallel_for(ceil_div(M, RB), 1, worth_threads(flops), [&](long b0, long b1) {
    // z1, z2 per critic; h1, h2, dz, dh, da scratch; gathered rows; the A-strip packing
    float* buf = tl_blk_act.get((size_t)9 * RB * ld + (size_t)RB * ldA + (size_t)MR * BLOCK_MAX_DEPTH);
    float* z1[2] = {buf, buf + RB * ld};
    float* z2[2] = {buf + 2 * RB * ld, buf + 3 * RB * ld};
    float* h1 = buf + 4 * RB * ld;
    float* h2 = buf + 5 * RB * ld;
    float* dz = buf + 6 * RB * ld;
    float* dh = buf + 7 * RB * ld;
    float* gz1 = buf + 8 * RB * ld;
    float* da = buf + 9 * RB * ld;
    float* apack = da + RB * ldA;
    for (long blk = b0; blk < b1; blk++) {
      const long i0 = blk * RB;
      const long rb = std::min(RB, M - i0);
      const float* a = act + i0 * A;
      float* qout[2] = {q1 + i0, q2 + i0};
      for (int c = 0; c < 2; c++) {
        const ReluCritic& C = critics[c];
        const float* p = packed + c * per;
        // z1 = a W1a^T + (the state's share of layer 1 and its bias); h1 = relu(z1)
        const TileEpi e1{C.cond, div, H1, i0, U_RELU, h1, ld, nullptr, 0};
        block_gemm(a, A, rb, A, p, H1, z1[c], ld, &e1, apack);
        // z2 = h1 W2^T + b2; h2 = relu(z2)
        const TileEpi e2{C.b2, 0, H2, i0, U_RELU, h2, ld, nullptr, 0};
        block_gemm(h1, ld, rb, H1, p + s1, H2, z2[c], ld, &e2, apack);
        // q = h2 w3 + b3
        Epilogue e3{C.b3, ACT_NONE, qout[c], 1, 0, 1, nullptr, 0};
        Gemm g{h2, ld, 1, C.w3, 1, H2, qout[c], 1, rb, 1, H2, false, C.b3 ? &e3 : nullptr};
        dots_any(g, rb);
      }
      if (!grad) continue;
      // d min(q1, q2) / d a through the critic that gives the minimum (critic 1 on ties, as the
      // engine's minimum): each critic's rows gathered, backward, scattered
      for (int c = 0; c < 2; c++) {
        const ReluCritic& C = critics[c];
        const float* p = packed + c * per;
        long idx[RB];
        long n = 0;
        for (long r = 0; r < rb; r++) {
          const bool first = q1[i0 + r] <= q2[i0 + r];
          if (first == (c == 0)) idx[n++] = r;
        }
        if (n == 0) continue;
        // dz2 = w3 [z2 > 0]; dh1 = dz2 W2; gz1 = dh1 [z1 > 0]; da = gz1 W1a
        const float* __restrict w3 = C.w3;
        for (long q = 0; q < n; q++) {
          const float* __restrict zr = z2[c] + idx[q] * ld;
          float* __restrict o = dz + q * ld;
          for (long j = 0; j < H2; j++) o[j] = zr[j] > 0 ? w3[j] : 0.0f;
        }
        block_gemm(dz, ld, n, H2, p + s1 + s2, H1, dh, ld, nullptr, apack);
        for (long q = 0; q < n; q++) {
          const float* __restrict zr = z1[c] + idx[q] * ld;
          const float* __restrict hr = dh + q * ld;
          float* __restrict o = gz1 + q * ld;
          for (long j = 0; j < H1; j++) o[j] = zr[j] > 0 ? hr[j] : 0.0f;
        }
        block_gemm(gz1, ld, n, H1, p + s1 + s2 + s2t, A, da, ldA, nullptr, apack);
        for (long q = 0; q < n; q++) std::memcpy(grad + (i0 + idx[q]) * A, da + q * ldA, A * sizeof(float));
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// the self-normalised posterior mean with its control variate (src/estimators/posterior-mean.ts)

void posterior_mean(const float* x1, const float* x0, const float* logits, const float* grads, const float* aOverB,
                    const float* cRow, long B, long K, long D, int cvAuto, double ridge, double clip, float* m, float* c,
                    float* w, double* diag) {
  // rows are independent: threaded over rows when large, each row's diagnostics kept apart and
  // summed in row order afterwards (the same numbers however the rows were shared out)
  std::vector<double> rowDiag((size_t)B * 4);
  auto rows = [&](long b0, long b1) {
    std::vector<double> wk(K), m1(D), ms(D), num(D), den(D);
    for (long b = b0; b < b1; b++) {
      const float* l = logits + b * K;
      double mx = -INFINITY, mn = INFINITY;
      for (long k = 0; k < K; k++) {
        mx = std::max(mx, (double)l[k]);
        mn = std::min(mn, (double)l[k]);
      }
      double z = 0;
      for (long k = 0; k < K; k++) z += (wk[k] = std::exp((double)l[k] - mx));
      double w2 = 0, wmax = 0;
      for (long k = 0; k < K; k++) {
        wk[k] /= z;
        w[b * K + k] = (float)wk[k];
        w2 += wk[k] * wk[k];
        wmax = std::max(wmax, wk[k]);
      }
      // score s = grad + (a / b) x0; m1 = sum w x1, ms = sum w s (loops over d: vectorised)
      const double ab = aOverB[b];
      std::fill(m1.begin(), m1.end(), 0.0);
      std::fill(ms.begin(), ms.end(), 0.0);
      for (long k = 0; k < K; k++) {
        const long r = (b * K + k) * D;
        const double wv = wk[k];
        for (long d = 0; d < D; d++) {
          m1[d] += wv * x1[r + d];
          ms[d] += wv * ((double)grads[r + d] + ab * x0[r + d]);
        }
      }
      if (cvAuto) {
        // c = clamp(-sum w^2 (x1 - m1)(s - ms) / (sum w^2 (s - ms)^2 + ridge), -clip, clip)
        std::fill(num.begin(), num.end(), 0.0);
        std::fill(den.begin(), den.end(), 0.0);
        for (long k = 0; k < K; k++) {
          const long r = (b * K + k) * D;
          const double ww = wk[k] * wk[k];
          for (long d = 0; d < D; d++) {
            const double sc = (double)grads[r + d] + ab * x0[r + d] - ms[d];
            num[d] += ww * (x1[r + d] - m1[d]) * sc;
            den[d] += ww * sc * sc;
          }
        }
      }
      double cSum = 0;
      for (long d = 0; d < D; d++) {
        const double cd = cvAuto ? std::min(clip, std::max(-clip, -num[d] / (den[d] + ridge))) : (double)cRow[b];
        c[b * D + d] = (float)cd;
        m[b * D + d] = (float)(m1[d] + cd * ms[d]);
        cSum += cd;
      }
      double* rd = rowDiag.data() + b * 4;
      rd[0] = 1 / w2;
      rd[1] = cSum;
      rd[2] = wmax;
      rd[3] = mx - mn;
    }
  };
  const double flops = 10.0 * B * K * D;
  parallel_for(B, std::max<long>(1, 16384 / std::max<long>(1, K * D)), worth_threads(flops), rows);
  double essSum = 0, cSum = 0, maxWSum = 0, spreadSum = 0;
  for (long b = 0; b < B; b++) {
    const double* rd = rowDiag.data() + b * 4;
    essSum += rd[0];
    cSum += rd[1];
    maxWSum += rd[2];
    spreadSum += rd[3];
  }
  diag[0] = essSum / B;
  diag[1] = cSum / (B * D);
  diag[2] = maxWSum / B;
  diag[3] = spreadSum / B;
}

RFM_TIER_END
