#!/usr/bin/env python3
"""Builds bench/results/nvidia-h200.json from this session's raw files (bench/results/s3/):
one record per sweep case (monc tuned and untuned, the kernels, the baseline of the same dtype
and the speedup against it, plus torch.compile where measured), one per PyTorch baseline
(fly-style bmm, torch.compile, dense with and without TF32, pinned host round trip) and one per
batch of the host round trip. Run from the project root: python3 bench/results/s3/scripts/summarize.py"""
import json

S3 = 'bench/results/s3'
torch = json.load(open(f'{S3}/call1/torch.json'))
sweeps = [json.load(open(f'{S3}/call1/sweep-a.json')), json.load(open(f'{S3}/call2/sweep-b.json'))]
host = json.load(open(f'{S3}/call2/host-path-2.json'))
host_first = json.load(open(f'{S3}/call1/host-path.json'))


def torch_ms(impl, n, m, k, batch, dtype):
    for r in torch['records']:
        if r.get('impl') == impl and r['n'] == n and r['m'] == m and r.get('nblocks') == k and r['batch'] == batch and r['dtype'] == dtype and 'ms' in r:
            return r['ms']
    return None


cases = []
for sweep in sweeps:
    for r in sweep['records']:
        if 'ms' not in r:
            continue
        k = r.get('nblocks')
        fly = torch_ms('fly-bmm', r['n'], r['m'], k, r['batch'], r['dtype'])
        rec = dict(case=f"{r['op']} {r['n']}->{r['m']}", kind=r['kind'], dtype=r['dtype'], batch=r['batch'],
                   monc_ms=dict(tuned=round(r['ms'], 4), untuned=round(r['untuned']['ms'], 4)),
                   untuned_over_tuned=round(r['untuned']['ms'] / r['ms'], 2),
                   kernels=[dict(family=s['schedule']['family'], ms=round(s['ms'], 4)) for s in r['schedules']],
                   rel_error=r['relError'],
                   baseline=f"fly-style Monarch, two torch.bmm, PyTorch {r['dtype']}", baseline_ms=fly,
                   speedup=round(fly / r['ms'], 2) if fly else None)
        if r['dtype'] == 'f16':
            bf = torch_ms('fly-bmm', r['n'], r['m'], k, r['batch'], 'bf16')
            tc = torch_ms('torch.compile', r['n'], r['m'], k, r['batch'], 'bf16')
            rec.update(fly_bf16_ms=bf, torch_compile_bf16_ms=tc, speedup_vs_torch_compile=round(tc / r['ms'], 2) if tc else None)
        else:
            tc = torch_ms('torch.compile', r['n'], r['m'], k, r['batch'], 'f32')
            rec.update(torch_compile_f32_ms=tc, speedup_vs_torch_compile=round(tc / r['ms'], 2) if tc else None)
            dense = next((d['ms'] for d in torch['records'] if d.get('impl') == 'torch-matmul' and d['n'] == r['n'] and d['m'] == r['m'] and d['batch'] == r['batch'] and d['dtype'] == 'f32'), None)
            tf32 = next((d['ms'] for d in torch['records'] if d.get('impl') == 'torch-matmul-tf32' and d['n'] == r['n'] and d['m'] == r['m'] and d['batch'] == r['batch']), None)
            rec.update(dense_f32_ms=dense, dense_tf32_ms=tf32)
        cases.append(rec)

baselines = [dict(baseline=r['impl'], **{k: v for k, v in r.items() if k != 'impl'}) for r in torch['records']]
out = dict(
    gpu='NVIDIA H200 (driver 580.159.04), Dawn/Vulkan through npm webgpu; PyTorch ' + torch['torch'] + ', TF32 off unless named',
    date=sweeps[0]['date'][:10],
    raw=S3,
    cases=cases,
    baselines=baselines,
    host_round_trip=[dict(batch=h['batch'], monc_forward_ms=round(h['medianMs'], 3),
                          first_call_session_ms=round(next(f['medianMs'] for f in host_first['records'] if f['batch'] == h['batch']), 3),
                          pytorch_pinned_ms=torch_ms('fly-bmm host round trip (pinned)', 4096, 4096, 64, h['batch'], 'f32'),
                          phases_ms={k: round(v, 3) for k, v in h['phaseMs'].items()}) for h in host['records']],
)
json.dump(out, open('bench/results/nvidia-h200.json', 'w'), indent=1)
print(json.dumps(out['cases'], indent=0)[:3000])
