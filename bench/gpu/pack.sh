#!/usr/bin/env bash
# Bundles what a GPU machine without Node needs to run the bench programs into .gpu/ (untracked):
# this machine's node binary (xz), the Vulkan loader (Debian's libvulkan1), the node_modules the
# bench programs load (chevrotain, commander, ts-morph, webgpu and their dependencies; webgpu cut
# to its linux-x64 binary) as one tar.xz, and bench/gpu/run.sh. About 31 MB. Run it from the
# project root after `npm install` and `npm run build`; then copy the project (with .gpu and dist)
# to the GPU machine and run `bash .gpu/run.sh node dist/bench/<program>.js …` there.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ -d node_modules/webgpu ] || { echo "pack.sh: node_modules/webgpu is missing: run npm install first" >&2; exit 1; }
loader=/usr/lib/x86_64-linux-gnu/libvulkan.so.1
[ -e "$loader" ] || { echo "pack.sh: needs the Vulkan loader ($loader; Debian: apt-get install libvulkan1)" >&2; exit 1; }
rm -rf .gpu && mkdir -p .gpu
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
xz -T2 -6 -c "$(readlink -f "$(command -v node)")" > .gpu/node.xz
cp -L "$loader" .gpu/
cp "$here/run.sh" .gpu/run.sh
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# Production dependencies, less the build-time ones no bench program imports (the bundlers the
# plugins drive, TypeScript, and onnx-proto for export): 31 MB packed with them, 7 MB without.
npm ls --omit=dev --all --parseable 2>/dev/null | tail -n +2 | while read -r dir; do
  rel=${dir#"$root/"}
  case "$rel" in node_modules/*) ;; *) continue ;; esac
  case "${rel#node_modules/}" in
    typescript | typescript/* | esbuild* | @esbuild/* | rolldown* | @rolldown/* | lightningcss* | vite | vite/* | rollup* | @rollup/* | @types/* | onnx-proto*) continue ;;
  esac
  mkdir -p "$stage/$(dirname "$rel")"
  cp -r "$dir" "$stage/$rel"
done
rm -rf "$stage"/node_modules/webgpu/dist/{darwin-universal,linux-arm64,win32-x64,win32-arm64}
tar -C "$stage" -cf - node_modules | xz -T2 -6 > .gpu/node_modules.tar.xz
du -sb .gpu | awk '{printf "pack.sh: .gpu/ is %.1f MB\n", $1 / 1e6}'
