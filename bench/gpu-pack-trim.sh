#!/usr/bin/env bash
# After `bash ../shared/gpu/pack.sh`: repacks .gpu/node_modules.tar.xz without the packages the
# device calls never load (the bundlers and TypeScript that the plugins need, onnx-proto for
# export). pack.sh takes every production dependency (31 MB packed); what the bench programs in
# .gdist import is chevrotain, commander, ts-morph (bindings) and webgpu (7 MB packed). Session 9
# needed this: with the full pack the travelling tree was refused as over 64 MiB.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
pack="$root/.gpu/node_modules.tar.xz"
[ -f "$pack" ] || { echo "gpu-pack-trim.sh: run ../shared/gpu/pack.sh first" >&2; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
xz -dc "$pack" | tar -C "$stage" -xf -
(cd "$stage/node_modules" && rm -rf typescript esbuild @esbuild rolldown @rolldown lightningcss* vite rollup @rollup @types onnx-proto)
tar -C "$stage" -cf - node_modules | xz -T2 -6 > "$pack.new"
mv "$pack.new" "$pack"
du -sb "$root/.gpu" | awk '{print "gpu-pack-trim.sh: .gpu/ is " $1 " bytes"}'
