{
  "targets": [
    {
      "target_name": "rfm_native",
      "sources": ["native/src/addon.cc", "native/src/gemm.cc", "native/src/elementwise.cc", "native/src/pool.cc"],
      "cflags!": ["-O2", "-O0", "-fno-exceptions"],
      "cflags_cc!": ["-O2", "-O0", "-std=gnu++14", "-std=gnu++17", "-fno-rtti"],
      "cflags": ["-O3", "-march=native", "-fno-math-errno", "-pthread"],
      "cflags_cc": ["-O3", "-march=native", "-fno-math-errno", "-pthread", "-std=c++17"],
      "ldflags": ["-pthread"],
      "defines": ["NAPI_VERSION=8"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-O3", "-march=native"],
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-march=native", "-std=c++17"]
      }
    }
  ]
}
