// One tier's table of kernels (compiled once per tier with the others, RFM_TIER set: common.h).
#include <cstring>

#include "common.h"

#define RFM_STR2(x) #x
#define RFM_STR(x) RFM_STR2(x)

RFM_TIER_BEGIN

const Kernels& kernels() {
  // constant-initialised (addresses only): no code runs at load
  static constexpr Kernels table = {
      RFM_STR(RFM_TIER),
#define RFM_KERNEL_ENTRY(f) &f,
      RFM_KERNEL_LIST(RFM_KERNEL_ENTRY)
#undef RFM_KERNEL_ENTRY
  };
  return table;
}

RFM_TIER_END
