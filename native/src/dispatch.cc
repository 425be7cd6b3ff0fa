// Chooses the instruction-set tier at load (built for the baseline: it runs before any tier's
// code, on any CPU of the architecture). See common.h.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common.h"

namespace rfm {

// the tiers this build has (binding.gyp: RFM_TIERS_X86 on x86-64, RFM_TIERS_ARM on aarch64)
#if defined(RFM_TIERS_X86)
namespace avx512 { const Kernels& kernels(); }
namespace avx2 { const Kernels& kernels(); }
namespace baseline { const Kernels& kernels(); }
#elif defined(RFM_TIERS_ARM)
namespace neon { const Kernels& kernels(); }
#else
namespace baseline { const Kernels& kernels(); }
#endif

namespace {

struct Tier {
  const char* name;
  const Kernels& (*table)();
  bool (*supported)();
  const char* needs;  // what the CPU must have, for the error message
};

#if defined(RFM_TIERS_X86)
bool has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
bool has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
bool always() { return true; }
// best first
const Tier TIERS[] = {
    {"avx512", avx512::kernels, has_avx512, "AVX-512 (F, BW, DQ, VL)"},
    {"avx2", avx2::kernels, has_avx2, "AVX2 and FMA"},
    {"baseline", baseline::kernels, always, ""},
};
#elif defined(RFM_TIERS_ARM)
bool always() { return true; }
const Tier TIERS[] = {{"neon", neon::kernels, always, ""}};
#else
bool always() { return true; }
const Tier TIERS[] = {{"baseline", baseline::kernels, always, ""}};
#endif

char error_text[256];

const Kernels* choose(const char** error) {
  const char* want = std::getenv("RFM_ISA");
  if (want && *want) {
    for (const Tier& t : TIERS) {
      if (std::strcmp(t.name, want) != 0) continue;
      if (t.supported()) return &t.table();
      std::snprintf(error_text, sizeof error_text, "RFM_ISA=%s: this CPU lacks %s", want, t.needs);
      *error = error_text;
      return nullptr;
    }
    std::snprintf(error_text, sizeof error_text, "RFM_ISA=%.64s: not a tier of this build (it has:", want);
    for (const Tier& t : TIERS) {
      std::strncat(error_text, " ", sizeof error_text - std::strlen(error_text) - 1);
      std::strncat(error_text, t.name, sizeof error_text - std::strlen(error_text) - 1);
    }
    std::strncat(error_text, ")", sizeof error_text - std::strlen(error_text) - 1);
    *error = error_text;
    return nullptr;
  }
  for (const Tier& t : TIERS)
    if (t.supported()) return &t.table();
  return nullptr;  // not reached: the last tier is always supported
}

}  // namespace

const Kernels* active_kernels(const char** error) {
  static const char* err = nullptr;
  static const Kernels* k = choose(&err);
  if (!k && error) *error = err;
  return k;
}

}  // namespace rfm
