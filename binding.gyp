{
  # One addon for every CPU of an architecture: the kernel sources are compiled once per
  # instruction-set tier (a static library each, RFM_TIER naming the tier's namespace), and
  # native/src/dispatch.cc picks a tier at load from the CPU's features (or RFM_ISA).
  # Nothing is built for the build machine's own CPU (no -march=native). Symbols are hidden (the
  # addon exports only its Node-API entry points), so calls between the kernels are direct.
  "variables": {
    "kernel_sources": ["native/src/gemm.cc", "native/src/elementwise.cc", "native/src/fused.cc", "native/src/tier.cc"]
  },
  "target_defaults": {
    "cflags!": ["-O2", "-O0", "-fno-exceptions"],
    "cflags_cc!": ["-O2", "-O0", "-std=gnu++14", "-std=gnu++17", "-fno-rtti"],
    "cflags": ["-O3", "-fno-math-errno", "-pthread", "-fPIC", "-fvisibility=hidden"],
    "cflags_cc": ["-O3", "-fno-math-errno", "-pthread", "-fPIC", "-fvisibility=hidden", "-std=c++17"],
    "defines": ["NAPI_VERSION=8"],
    "xcode_settings": {
      "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
      "OTHER_CFLAGS": ["-O3", "-fno-math-errno"],
      "OTHER_CPLUSPLUSFLAGS": ["-O3", "-fno-math-errno", "-std=c++17"]
    }
  },
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "rfm_tier_avx512",
          "type": "static_library",
          "sources": ["<@(kernel_sources)"],
          "defines": ["RFM_TIER=avx512"],
          "cflags_cc": ["-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mavx2", "-mfma"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mavx2", "-mfma"] }
        },
        {
          "target_name": "rfm_tier_avx2",
          "type": "static_library",
          "sources": ["<@(kernel_sources)"],
          "defines": ["RFM_TIER=avx2"],
          "cflags_cc": ["-mavx2", "-mfma"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx2", "-mfma"] }
        },
        {
          "target_name": "rfm_tier_baseline",
          "type": "static_library",
          "sources": ["<@(kernel_sources)"],
          "defines": ["RFM_TIER=baseline"]
        },
        {
          "target_name": "rfm_native",
          "sources": ["native/src/addon.cc", "native/src/dispatch.cc", "native/src/pool.cc"],
          "defines": ["RFM_TIERS_X86"],
          "dependencies": ["rfm_tier_avx512", "rfm_tier_avx2", "rfm_tier_baseline"],
          "ldflags": ["-pthread"]
        }
      ]
    }],
    ["target_arch=='arm64'", {
      "targets": [
        {
          "target_name": "rfm_tier_neon",
          "type": "static_library",
          "sources": ["<@(kernel_sources)"],
          "defines": ["RFM_TIER=neon"]
        },
        {
          "target_name": "rfm_native",
          "sources": ["native/src/addon.cc", "native/src/dispatch.cc", "native/src/pool.cc"],
          "defines": ["RFM_TIERS_ARM"],
          "dependencies": ["rfm_tier_neon"],
          "ldflags": ["-pthread"]
        }
      ]
    }],
    ["target_arch!='x64' and target_arch!='arm64'", {
      "targets": [
        {
          "target_name": "rfm_tier_baseline",
          "type": "static_library",
          "sources": ["<@(kernel_sources)"],
          "defines": ["RFM_TIER=baseline"]
        },
        {
          "target_name": "rfm_native",
          "sources": ["native/src/addon.cc", "native/src/dispatch.cc", "native/src/pool.cc"],
          "dependencies": ["rfm_tier_baseline"],
          "ldflags": ["-pthread"]
        }
      ]
    }]
  ]
}
