#!/usr/bin/env bash
# Everything monc needs on a fresh Debian 12 machine with Node.js >= 20, then the build:
#   - libvulkan1 (the Vulkan loader Dawn uses) and chromium (it ships SwiftShader, a CPU Vulkan
#     driver, so WebGPU works on machines without a GPU; also the browser for test/browser),
#     installed with apt-get only when missing;
#   - npm ci, then npm run build (dist/, which bin/monc.js and the examples runner use).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "setup: Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

missing=()
for pkg in libvulkan1 chromium; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "setup: installing ${missing[*]}" >&2
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

# onnxruntime-node (tests only) would fetch CUDA files from a host CI cannot reach; its CPU binaries ship in the package.
ONNXRUNTIME_NODE_INSTALL=skip npm ci
npm run build
