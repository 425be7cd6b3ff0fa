// The thread pool's interface (native/src/pool.h) for the WebAssembly build: one thread, so every
// parallel job runs on the caller as thread 0 and nothing waits.
#include "../src/pool.h"

namespace rfm {

int max_threads() { return 1; }

void parallel_run(TaskFn fn, void* ctx) { fn(ctx, 0); }

void sched_yield_now() {}

}  // namespace rfm

// The kernels' thread-local scratch buffers have destructors, which the C++ runtime registers per
// thread; the module's one thread never exits, so there is nothing to register them with.
extern "C" int __cxa_thread_atexit(void (*)(void*), void*, void*) { return 0; }
