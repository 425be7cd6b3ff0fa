// The kernels' thread pool (see pool.h for the protocol).
#include "pool.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

namespace rfm {

namespace {

constexpr int CLOSED = 1 << 30;
// spins of a worker waiting for the next job before it sleeps: long (tens of microseconds: kernel calls come
// in quick succession) unless the caller has seen workers descheduled lately, then short (a
// spinning worker only steals time from the threads that do the work)
constexpr int SPIN_LONG = 2000;
constexpr int SPIN_SHORT = 200;

struct Pool {
  int threads = 1;
  // the current job: fn / ctx are written before `state` is opened (release)
  TaskFn fn = nullptr;
  void* ctx = nullptr;
  std::atomic<int> state{CLOSED};  // CLOSED bit | number of workers inside the job
  std::atomic<uint64_t> gen{0};
  std::atomic<int> sleepers{0};
  std::mutex mu;
  std::condition_variable cv;
  std::mutex callers;  // one job at a time; a second caller runs its work alone
  // back-off on a crowded machine: after the caller had to wait long for a worker (descheduled
  // while holding an item), the next `serialLeft` jobs run on the caller alone
  int serialLeft = 0;
  std::atomic<int> backoff{0};
  int spinLong = SPIN_LONG;  // RFM_SPIN overrides (a tuning knob)
  bool adaptive = true;      // RFM_ADAPTIVE=0: always use the workers (no crowding check)
};

// a wait for the workers longer than this means they were descheduled
constexpr double LONG_WAIT_S = 400e-6;
// how often the caller looks at the machine's run queue (/proc/loadavg's running count)
constexpr double CROWD_CHECK_S = 0.05;

/**
 * True when other processes already keep every core busy (Linux: runnable tasks from
 * /proc/loadavg, minus this caller and a possibly spinning worker). Then workers would only
 * compete with them and get descheduled while holding work; the caller runs jobs alone.
 */
bool crowded(int threads) {
  static double next = 0;
  static bool last = false;
  const double now = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  if (now < next) return last;
  next = now + CROWD_CHECK_S;
  last = false;
  const int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return last;
  char buf[128];
  const ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return last;
  buf[n] = 0;
  // fields: load1 load5 load15 running/total lastpid
  const char* p = buf;
  for (int f = 0; f < 3 && p; f++) {
    p = std::strchr(p, ' ');
    if (p) p++;
  }
  if (!p) return last;
  const int running = std::atoi(p);
  // two readings in a row (0.1 s): a single one may also count this process's own short-lived helper
  // threads (the JavaScript engine's garbage collector and compiler run beside the caller)
  static int streak = 0;
  streak = running - 2 >= threads ? streak + 1 : 0;
  last = streak >= 2;
  return last;
}

Pool* the_pool = nullptr;  // never destroyed: workers may still wait on it at process exit
thread_local bool in_worker = false;  // a pool worker, or a caller inside its own job

void worker_main(Pool* p, int tid) {
  in_worker = true;
  uint64_t seen = p->gen.load();
  for (;;) {
    uint64_t g;
    int spins = 0;
    while ((g = p->gen.load()) == seen) {
      if (++spins < (p->backoff.load(std::memory_order_relaxed) ? SPIN_SHORT : p->spinLong)) {
        RFM_PAUSE();
        continue;
      }
      std::unique_lock<std::mutex> lk(p->mu);
      p->sleepers.fetch_add(1);
      p->cv.wait(lk, [&] { return p->gen.load() != seen; });
      p->sleepers.fetch_sub(1);
      spins = 0;
    }
    seen = g;
    int s = p->state.load(std::memory_order_acquire);
    while (!(s & CLOSED)) {
      if (p->state.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) {
        p->fn(p->ctx, tid);
        p->state.fetch_sub(1, std::memory_order_release);
        break;
      }
    }
  }
}

Pool* pool() {
  static Pool* p = [] {
    Pool* q = new Pool();
    int n = (int)std::thread::hardware_concurrency();
    if (const char* e = std::getenv("RFM_THREADS")) n = std::atoi(e);
    if (n < 1) n = 1;
    if (n > 64) n = 64;
    q->threads = n;
    if (const char* e = std::getenv("RFM_SPIN")) q->spinLong = std::max(0, std::atoi(e));
    if (const char* e = std::getenv("RFM_ADAPTIVE")) q->adaptive = std::atoi(e) != 0;
    for (int t = 1; t < n; t++) std::thread(worker_main, q, t).detach();
    the_pool = q;
    return q;
  }();
  return p;
}

}  // namespace

void sched_yield_now() { sched_yield(); }

int max_threads() { return pool()->threads; }

void parallel_run(TaskFn fn, void* ctx) {
  Pool* p = pool();
  if (p->threads == 1 || in_worker || !p->callers.try_lock()) {
    fn(ctx, 0);
    return;
  }
  if (p->serialLeft > 0 || (p->adaptive && crowded(p->threads))) {
    if (p->serialLeft > 0) p->serialLeft--;
    p->callers.unlock();
    fn(ctx, 0);
    return;
  }
  p->fn = fn;
  p->ctx = ctx;
  p->state.store(0, std::memory_order_release);
  p->gen.fetch_add(1);
  if (p->sleepers.load() > 0) {
    std::lock_guard<std::mutex> lk(p->mu);
    p->cv.notify_all();
  }
  in_worker = true;
  fn(ctx, 0);
  in_worker = false;
  // no worker may join from now on; wait for those inside to finish their items
  const int inside = p->state.fetch_or(CLOSED, std::memory_order_acq_rel);
  if (inside != 0) {
    const auto t0 = std::chrono::steady_clock::now();
    spin_until([&] { return (p->state.load(std::memory_order_acquire) & ~CLOSED) == 0; });
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const int b = p->backoff.load(std::memory_order_relaxed);
    if (waited > LONG_WAIT_S) {
      p->backoff.store(b ? std::min(2 * b, 4096) : 64, std::memory_order_relaxed);
      p->serialLeft = p->backoff.load(std::memory_order_relaxed);
    } else if (b > 0) {
      p->backoff.store(b / 2, std::memory_order_relaxed);
    }
  } else if (const int b = p->backoff.load(std::memory_order_relaxed)) {
    p->backoff.store(b / 2, std::memory_order_relaxed);
  }
  p->callers.unlock();
}

}  // namespace rfm
