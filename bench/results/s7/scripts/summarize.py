#!/usr/bin/env python3
"""Updates bench/results/nvidia-h200.json with session 7's device calls (bench/results/s7/), on top of
session 6's (run bench/results/s6/scripts/summarize.py first when rebuilding from scratch): call1's
sweep (monc tuned/untuned) with PyTorch's fly bmm, dense and torch.compile from the same call
(call1/torch.json), and call2's f16 training check (`monc grad`/`monc train` of a dtype f16 map on
webgpu against the float64 CPU backend). Run from the project root:
python3 bench/results/s7/scripts/summarize.py"""
import json, sys

sys.path.insert(0, 'bench/results')
from sweep_records import apply_sweep, print_cases  # noqa: E402

S7 = 'bench/results/s7'
path = 'bench/results/nvidia-h200.json'
out = json.load(open(path))
sweep = json.load(open(f'{S7}/call1/sweep.json'))
torch_path = f'{S7}/call1/torch.json'
records = json.load(open(torch_path))['records']
apply_sweep(out, sweep, f'{S7}/call1/sweep.json', [r for r in records if r.get('impl') == 'torch.compile'], records, torch_path)
out['f16_training'] = dict(raw=f'{S7}/call2/f16-train.json', script=f'{S7}/scripts/f16-train.sh',
                           note='relative difference webgpu (H200, shader-f16) vs --backend cpu, per tensor; train: 50 Adam steps, lr 1e-2, batch 128 of 512 rows',
                           results=json.load(open(f'{S7}/call2/f16-train.json')))
out['date'] = sweep['date'][:10]
out['raw'] = [r for r in out['raw'] if not r.startswith(S7)] + [f'{S7}/call1', f'{S7}/call2']
json.dump(out, open(path, 'w'), indent=1)
print_cases(out)
