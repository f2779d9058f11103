#!/usr/bin/env python3
"""Updates bench/results/nvidia-h200.json with session 6's device calls (bench/results/s6/):
call1's sweep (monc tuned/untuned, the kernel set each ran, kernels) with torch.compile measured in
the same call (call1/torch-log.txt); the fly bmm and dense baselines from call3/torch.json where that
call ran (else those of earlier calls stay, marked by `baseline_from`); the host round trip by batch
(call2, PyTorch's pinned round trip in the same call); and call3's search of ks-sgmat-strided
(`strided_search`) where it ran. Run from the project root: python3 bench/results/s6/scripts/summarize.py"""
import json, os, sys

sys.path.insert(0, 'bench/results')
from sweep_records import apply_sweep, print_cases  # noqa: E402

S6 = 'bench/results/s6'
path = 'bench/results/nvidia-h200.json'
out = json.load(open(path))
sweep = json.load(open(f'{S6}/call1/sweep.json'))
compiled = [json.loads(l) for l in open(f'{S6}/call1/torch-log.txt') if l.startswith('{')]
call3_torch = f'{S6}/call3/torch.json'
fresh = json.load(open(call3_torch))['records'] if os.path.exists(call3_torch) else None

apply_sweep(out, sweep, f'{S6}/call1/sweep.json', compiled, fresh, call3_torch)

hosts = [json.load(open(f'{S6}/call2/host-path.json')), json.load(open(f'{S6}/call2/host-path-2.json'))]
pinned = {r['batch']: r['ms'] for r in json.load(open(f'{S6}/call2/torch-host.json'))['records']}
out['host_round_trip'] = [
    dict(batch=h['batch'], call=i + 1, modes_ms={m: round(v['medianMs'], 3) for m, v in h['modeMs'].items()},
         gc_count={m: v['gcCount'] for m, v in h['modeMs'].items()},
         pytorch_pinned_ms=round(pinned[h['batch']], 3), phases_ms={k: round(v, 3) for k, v in h['phaseMs'].items()})
    for i, host in enumerate(hosts) for h in host['records']]
out['host_round_trip_note'] = ('modes: fresh = forward(x); out = forward(x, { out }); out:R = forward(x, { out, chunkRows: R }) '
                               '(ring of chunk stagings); staging = input(), x copied into the view, run(); stagingRun = run() alone; '
                               'ring:R / ringRun:R = the same through a ring of stagings of R rows. PyTorch pinned round trip from '
                               'the same device call (torch_baseline.py --host-only). gc_count: V8 collections over the timed repeats.')
goal = f'{S6}/call3/goal-strided.json'
if os.path.exists(goal):
    search = []
    for r in json.load(open(goal))['records']:
        if r.get('variant') != 'two-kernel':
            continue
        strided = sorted((t for t in r['all'][1] if t['schedule']['family'] == 'ks-sgmat-strided' and t.get('ms') is not None), key=lambda t: t['ms'])
        search.append(dict(case=f"monarch(nblocks: {r['nblocks']}) {r['n']}->{r['m']}", dtype=r['dtype'], batch=r['batch'],
                           chain_ms=round(r['chain']['ms'], 4) if r.get('chain') else None,
                           kernels=[dict(family=b['schedule']['family'], ms=round(b['ms'], 4), schedule=b['schedule']) for b in r['best']],
                           strided_timed=len(strided), strided_best=strided[0] if strided else None, raw=goal))
    out['strided_search'] = search
out['date'] = sweep['date'][:10]
out['raw'] = ['bench/results/s3', 'bench/results/s4', f'{S6}/call1', f'{S6}/call2'] + ([f'{S6}/call3'] if fresh else [])
json.dump(out, open(path, 'w'), indent=1)
print_cases(out)
for h in out['host_round_trip']:
    print(h['batch'], h['call'], {k: v for k, v in h['modes_ms'].items() if ':' not in k}, h['pytorch_pinned_ms'])
