// A small persistent thread pool for the kernels, built to degrade gracefully on a busy machine.
//
// The calling thread always works. Workers *join* a job only if they wake up while it is still
// open; work is handed out dynamically (an atomic counter over items), so a worker that the OS
// does not schedule in time simply takes no items instead of holding everyone at a barrier.
// After a job the workers spin briefly (kernel calls come in quick succession), then sleep.
#pragma once
#include <atomic>
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define RFM_PAUSE() _mm_pause()
#else
#define RFM_PAUSE() ((void)0)
#endif

namespace rfm {

using TaskFn = void (*)(void* ctx, int tid);

/** Threads in the pool including the caller (RFM_THREADS, else the cores; at most 64). */
int max_threads();

/** Runs fn(ctx, tid) on the calling thread (tid 0) and on every worker that joins in time. */
void parallel_run(TaskFn fn, void* ctx);

void sched_yield_now();

/** Waits (spinning, then yielding) until cond() holds. */
template <class C>
inline void spin_until(C cond) {
  for (int i = 0; !cond(); i++) {
    if (i < 4000) RFM_PAUSE();
    else sched_yield_now();
  }
}

/** Calls f(tid) on every participating thread. */
template <class F>
inline void parallel(F& f) {
  parallel_run([](void* c, int tid) { (*static_cast<F*>(c))(tid); }, &f);
}

/**
 * body(begin, end) over [0, n) in chunks of `chunk`, handed out dynamically; runs on the calling
 * thread alone when `threaded` is false or n <= chunk.
 */
template <class F>
inline void parallel_for(long n, long chunk, bool threaded, F body) {
  if (n <= 0) return;
  if (!threaded || n <= chunk || max_threads() == 1) {
    body(0L, n);
    return;
  }
  std::atomic<long> next{0};
  auto job = [&](int) {
    for (;;) {
      const long b = next.fetch_add(chunk, std::memory_order_relaxed);
      if (b >= n) break;
      body(b, b + chunk < n ? b + chunk : n);
    }
  };
  parallel(job);
}

}  // namespace rfm
