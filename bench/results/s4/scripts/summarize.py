#!/usr/bin/env python3
"""Updates bench/results/nvidia-h200.json with session 4's device call (bench/results/s4/call1/):
the sweep rows re-run there (monc tuned/untuned and kernels; the PyTorch baselines stay those of
bench/results/s3, measured on the same kind of machine in an earlier call, and the speedups are
recomputed against them), and the host round trip by batch in its four modes beside PyTorch's
pinned round trip measured in the same call; and the planned searches' best two-kernel chains
(calls 2 and 3, `planned_chains`). Run from the project root:
python3 bench/results/s4/scripts/summarize.py"""
import json

S4 = 'bench/results/s4/call1'
path = 'bench/results/nvidia-h200.json'
out = json.load(open(path))
sweep = json.load(open(f'{S4}/sweep.json'))
hosts = [json.load(open(f'{S4}/host-path.json')), json.load(open(f'{S4}/host-path-2.json'))]
torch_host = json.load(open(f'{S4}/torch-host.json'))

by_key = {(c['case'], c['dtype'], c['batch']): c for c in out['cases']}
for r in sweep['records']:
    if 'ms' not in r:
        continue
    c = by_key.get((f"{r['op']} {r['n']}->{r['m']}", r['dtype'], r['batch']))
    if c is None:
        continue
    tuned, untuned = r['ms'], r['untuned']['ms']
    c.update(monc_ms=dict(tuned=round(tuned, 4), untuned=round(untuned, 4)), untuned_over_tuned=round(untuned / tuned, 2),
             kernels=[dict(family=s['schedule']['family'], ms=round(s['ms'], 4)) for s in r['schedules']],
             rel_error=r['relError'], measured=f'{S4}/sweep.json ({sweep["date"]})')
    if c.get('baseline_ms'):
        c['speedup'] = round(c['baseline_ms'] / tuned, 2)
    for key in ('torch_compile_f32_ms', 'torch_compile_bf16_ms'):
        if c.get(key):
            c['speedup_vs_torch_compile'] = round(c[key] / tuned, 2)

pinned = {r['batch']: r['ms'] for r in torch_host['records']}
out['host_round_trip'] = [
    dict(batch=h['batch'], call=i + 1,
         modes_ms={m: round(v['medianMs'], 3) for m, v in h['modeMs'].items()},
         pytorch_pinned_ms=round(pinned[h['batch']], 3),
         phases_ms={k: round(v, 3) for k, v in h['phaseMs'].items()})
    for i, host in enumerate(hosts) for h in host['records']]
out['host_round_trip_note'] = ('modes: fresh = forward(x); out = forward(x, { out }); staging = input(), x copied into the view, run(); '
                               'stagingRun = run() alone. PyTorch pinned round trip from the same device call (torch_baseline.py --host-only).')
# Planned searches (bench/monarch-goal.js --plan, calls 2 and 3): the best checked kernel per factor
# and the two of them timed as one pass.
chains = []
for f in ['bench/results/s4/call2/goal-plan.json', 'bench/results/s4/call3/goal-rect.json', 'bench/results/s4/call3/goal-16k.json']:
    for r in json.load(open(f))['records']:
        if r.get('variant') != 'two-kernel' or not r.get('chain'):
            continue
        chains.append(dict(case=f"monarch(nblocks: {r['nblocks']}) {r['n']}->{r['m']}", dtype=r['dtype'], batch=r['batch'],
                           chain_ms=round(r['chain']['ms'], 4), repeat_ms=round(r['chain']['repeatMs'], 4),
                           kernels=[dict(family=b['schedule']['family'], ms=round(b['ms'], 4), schedule=b['schedule']) for b in r['best']],
                           raw=f))
out['planned_chains'] = chains
out['raw'] = ['bench/results/s3', S4, 'bench/results/s4/call2', 'bench/results/s4/call3']
json.dump(out, open(path, 'w'), indent=1)
for c in out['cases']:
    print(c['case'][:40], c['dtype'], c['batch'], c['monc_ms'], c.get('speedup'), c.get('speedup_vs_torch_compile'), [k['family'] for k in c['kernels']])
for h in out['host_round_trip']:
    print(h['batch'], h['call'], h['modes_ms'], h['pytorch_pinned_ms'])
