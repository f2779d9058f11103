#!/usr/bin/env python3
"""Updates bench/results/nvidia-h200.json with session 9's device calls (bench/results/s9/):
call A's sweep of the rectangular Monarch (monc tuned/untuned) with PyTorch's fly bmm, dense and
torch.compile from the same call (call-a/torch.json); call E's sweep of the P L Pᵀ R spelling
(call D's first sweep of it gave an untuned whole-pass figure its own kernels contradict, see
bench/results/HISTORY.md); call A's planned search (best schedule per factor, beside the defaults);
call C's ceilings through Dawn (roofline); call D's f16 training check. Run from the project root:
python3 bench/results/s9/scripts/summarize.py"""
import json, sys

sys.path.insert(0, 'bench/results')
from sweep_records import apply_sweep, print_cases  # noqa: E402

S9 = 'bench/results/s9'
path = 'bench/results/nvidia-h200.json'
out = json.load(open(path))
torch_path = f'{S9}/call-a/torch.json'
records = json.load(open(torch_path))['records']
compiled = [r for r in records if r.get('impl') == 'torch.compile']
for sweep_path in (f'{S9}/call-a/sweep.json', f'{S9}/call-e/sweep-raw-2.json'):
    apply_sweep(out, json.load(open(sweep_path)), sweep_path, compiled, records, torch_path)

goal = json.load(open(f'{S9}/call-a/goal.json'))
search = []
for r in goal['records']:
    ops = []
    for timed in r['all']:
        ok = sorted((t for t in timed if t.get('ms') is not None), key=lambda t: t['ms'])
        ops.append(dict(timed=len(ok), best=dict(schedule=ok[0]['schedule'], ms=round(ok[0]['ms'], 4), rel_error=ok[0]['relErr'])))
    search.append(dict(n=r['n'], m=r['m'], nblocks=r['nblocks'], dtype=r['dtype'], batch=r['batch'], chain_ms=round(r['chain']['ms'], 4), ops=ops))
out['planned_search_s9'] = dict(raw=f'{S9}/call-a/goal.json', plans=['bench/plan-s7b.json', 'bench/plan-s8.json'],
                                note='every planned schedule beside every default, each checked against float64 then timed; the best per factor', cases=search)

roof = json.load(open(f'{S9}/call-c/roofline.json'))
def rate(p):
    return round(p['GBps'], 0) if 'GBps' in p else round(p['TFlops'], 1)
out['roofline'] = dict(raw=[f'{S9}/call-c/roofline.json', f'{S9}/call-c/roofline-norobust.json'], script='bench/roofline.ts',
                       units='GB/s for copy/permute/runs/l2 probes, TFLOP/s for mma/fma probes', spec=roof['specH200'],
                       probes={p['name']: rate(p) for p in roof['probes'] if p.get('status') == 'ok'})
out['f16_training_s9'] = dict(raw=f'{S9}/call-d/f16-fit.json', script='bench/f16-fit-check.ts', results=json.load(open(f'{S9}/call-d/f16-fit.json')))
out['date'] = goal['date'][:10]
out['raw'] = [r for r in out['raw'] if not r.startswith(S9)] + [f'{S9}/call-a', f'{S9}/call-c', f'{S9}/call-d', f'{S9}/call-e']
json.dump(out, open(path, 'w'), indent=1)
print_cases(out)
