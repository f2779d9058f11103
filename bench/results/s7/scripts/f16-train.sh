#!/usr/bin/env bash
# f16 training on the H200 (SwiftShader has no shader-f16, so these kernels only run here):
# `monc grad` and `monc train` of a dtype f16 Monarch with bias on webgpu against --backend cpu
# (float64, parameters rounded to f16 on write), and an f32 twin as a control. Prints relative
# differences; writes f16-train.json under $OUT.
set -u
M="bash .gpu/run.sh node bin/monc.js"
W=/tmp/f16t; rm -rf $W; mkdir -p $W
for dt in f16 f32; do
  printf 'module t%s\ndtype %s\nmap layer : 256 -> 256 = monarch(nblocks: 16) + bias()\n' $dt $dt > $W/$dt.mon
done
python3 - "$W" <<'PY'
import numpy as np, sys
w = sys.argv[1]; r = np.random.default_rng(1)
np.save(f"{w}/x.npy", r.standard_normal((512, 256)).astype(np.float32))
np.save(f"{w}/y.npy", (0.1 * r.standard_normal((512, 256))).astype(np.float32))
np.save(f"{w}/dy.npy", r.standard_normal((512, 256)).astype(np.float32))
PY
for dt in f16 f32; do
  $M init $W/$dt.mon --map layer --seed 3 --out $W/p-$dt.safetensors
  for be in webgpu cpu; do
    $M grad $W/$dt.mon --map layer --params $W/p-$dt.safetensors --input $W/x.npy --grad-output $W/dy.npy --out $W/g-$dt-$be.safetensors --backend $be 2>>$W/log.txt
    $M train $W/$dt.mon --map layer --params $W/p-$dt.safetensors --input $W/x.npy --target $W/y.npy --steps 50 --lr 1e-2 --batch 128 --out $W/t-$dt-$be.safetensors --backend $be --json > $W/train-$dt-$be.json 2>>$W/log.txt
  done
done
python3 - "$W" <<'PY' > $OUT/f16-train.json
import json, struct, sys, numpy as np
w = sys.argv[1]
def load(p):
    b = open(p, "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8+n]); out = {}
    for k, v in h.items():
        if k == "__metadata__": continue
        dt = {"F16": np.float16, "F32": np.float32}[v["dtype"]]; s, e = v["data_offsets"]
        out[k] = np.frombuffer(b[8+n+s:8+n+e], dtype=dt).astype(np.float64)
    return out
res = {}
for dt in ["f16", "f32"]:
    for kind in ["g", "t"]:
        a, c = load(f"{w}/{kind}-{dt}-webgpu.safetensors"), load(f"{w}/{kind}-{dt}-cpu.safetensors")
        res[f"{dt}/{'grad' if kind == 'g' else 'train'}"] = {k: float(np.linalg.norm(a[k]-c[k]) / max(np.linalg.norm(c[k]), 1e-30)) for k in c}
    p0 = load(f"{w}/p-{dt}.safetensors"); t = load(f"{w}/t-{dt}-webgpu.safetensors")
    res[f"{dt}/train_moved"] = {k: float(np.linalg.norm(t[k]-p0[k]) / max(np.linalg.norm(p0[k]), 1e-30)) for k in p0}
    for be in ["webgpu", "cpu"]:
        try: res[f"{dt}/train-{be}-json"] = json.load(open(f"{w}/train-{dt}-{be}.json"))
        except Exception as e: res[f"{dt}/train-{be}-json"] = str(e)
print(json.dumps(res, indent=1))
PY
cat $OUT/f16-train.json; tail -5 $W/log.txt
