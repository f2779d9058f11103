#!/usr/bin/env bash
# Runs a command on a GPU machine that has an NVIDIA driver but no Node.js and no Vulkan loader,
# from the project root copied there with .gpu/ (bench/gpu/pack.sh) and dist/:
#   bash .gpu/run.sh node dist/bench/sweep.js --out sweep.json
#   bash .gpu/run.sh --probe        # the adapter, its features, limits and subgroup-matrix configs
# It unpacks node and node_modules to /tmp/gpu-rt ($GPU_RT if set; once per pack), points the Vulkan loader at the
# driver's EGL library (the ICD file drivers install names the GLX one, which needs an X server),
# links node_modules into the project root and runs the command. Without an NVIDIA driver it
# uses SwiftShader from Debian's chromium package, when present (a rehearsal on a CPU machine).
#
# Commands of other run.sh calls may be running from the same folder: what they have loaded is never
# rewritten in place. A file is replaced by a rename, and only when it changed: `cp -f` over the
# loader that a running process had mapped truncated it, the kernel dropped that process's relocated
# pages of it, they came back from the file unrelocated, and its next loader call jumped to an offset
# (exit 139, `vkDestroyDevice` -> `pthread_mutex_lock@plt` -> 0x7376: session 30, 8 of 27 runs).
set -euo pipefail
gpu=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$gpu")
rt=${GPU_RT:-/tmp/gpu-rt}
mkdir -p "$rt"
# Writes stdin to $rt/$1 beside it, then renames it into place: a process holding the old file keeps it whole.
install_as() {
  local tmp
  tmp=$(mktemp "$rt/.$1.XXXXXX")
  cat > "$tmp"
  chmod "$2" "$tmp"
  mv -f "$tmp" "$rt/$1"
}
[ -x "$rt/node" ] || xz -dc "$gpu/node.xz" | install_as node 755
cmp -s "$gpu/libvulkan.so.1" "$rt/libvulkan.so.1" || install_as libvulkan.so.1 644 < "$gpu/libvulkan.so.1"
pack=$(md5sum "$gpu/node_modules.tar.xz" | cut -d' ' -f1)
# One call at a time unpacks (REV30-4: two calls that both saw a new pack each swapped theirs in, the second removing the
# first one's while its command ran); the others wait, then find it unpacked. Without flock, as before.
if command -v flock > /dev/null; then
  exec 9> "$rt/.lock"
  flock 9
fi
if [ "$(cat "$rt/.modules" 2>/dev/null)" != "$pack" ]; then
  fresh=$(mktemp -d "$rt/.modules.XXXXXX")
  xz -dc "$gpu/node_modules.tar.xz" | tar -C "$fresh" -xf -
  # The old folder is renamed away before it is removed (files a process has open stay readable).
  if [ -e "$rt/node_modules" ]; then mv "$rt/node_modules" "$fresh/old"; fi
  mv "$fresh/node_modules" "$rt/node_modules"
  rm -rf "$fresh"
  echo "$pack" > "$rt/.modules"
fi
exec 9>&-
egl=/usr/local/nvidia/lib64
[ -e "$egl/libEGL_nvidia.so.0" ] || egl=$(dirname "$(ldconfig -p | awk '/libEGL_nvidia.so.0/ {print $NF; exit}')" 2>/dev/null || true)
if [ -e "$egl/libEGL_nvidia.so.0" ]; then
  printf '{"file_format_version":"1.0.1","ICD":{"library_path":"%s/libEGL_nvidia.so.0","api_version":"1.3.0"}}\n' "$egl" | install_as icd.json 644
  export VK_ICD_FILENAMES=$rt/icd.json
  export LD_LIBRARY_PATH=$rt:$egl${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
elif [ -e /usr/lib/chromium/vk_swiftshader_icd.json ]; then
  echo "run.sh: no NVIDIA driver here; using SwiftShader (CPU)" >&2
  export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
  export LD_LIBRARY_PATH=$rt${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
export PATH=$rt:$PATH
cd "$root"
[ -e node_modules ] || ln -s "$rt/node_modules" node_modules
if [ "${1:-}" = "--probe" ]; then
  exec node --input-type=module -e "
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const adapter = await create(['enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia']).requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) { console.error('run.sh: no adapter'); process.exit(1); }
console.log(adapter.info.vendor, adapter.info.device, adapter.info.description);
console.log('features:', [...adapter.features].sort().join(' '));
const limits = {}; for (const k in adapter.limits) limits[k] = adapter.limits[k];
console.log('limits:', JSON.stringify(limits));
for (const c of adapter.info.subgroupMatrixConfigs ?? []) console.log('subgroup-matrix:', c.componentType, c.resultComponentType, c.M, c.N, c.K);
process.exit(0);"
fi
exec "$@"
