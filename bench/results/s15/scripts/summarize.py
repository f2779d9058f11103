#!/usr/bin/env python3
"""Updates bench/results/nvidia-h200.json with session 15's device call 1 (bench/results/s15/call-1/):
its sweep (monc tuned and untuned, the kernel set each ran, per-kernel times) with PyTorch's fly bmm,
dense and torch.compile runs of the same call (torch.json), and the host round trip by batch with
PyTorch's pinned round trip of the same call (torch-host.json). The one-record-per-baseline `records`
are then rebuilt by bench/results/s11/scripts/records.py.
Run from the project root: python3 bench/results/s15/scripts/summarize.py && python3 bench/results/s11/scripts/records.py
A later call with the same outputs (sweep, torch, host path) is folded in the same way by naming its folder:
python3 bench/results/s15/scripts/summarize.py bench/results/s21/call-3 (session 21's H200 call)."""
import json
import sys

sys.path.insert(0, 'bench/results')
from sweep_records import apply_sweep, print_cases  # noqa: E402

CALL = sys.argv[1].rstrip('/') if len(sys.argv) > 1 else 'bench/results/s15/call-1'
LABEL = ' '.join(CALL.split('/')[-2:])
PATH = 'bench/results/nvidia-h200.json'
out = json.load(open(PATH))
sweep = json.load(open(f'{CALL}/sweep.json'))
runs = json.load(open(f'{CALL}/torch.json'))['records']
compiled = [r for r in runs if r['impl'] == 'torch.compile']
fresh = [r for r in runs if r['impl'] != 'torch.compile']
known = {(c['case'], c['dtype'], c['batch']) for c in out['cases']}
missing = [r for r in sweep['records'] if 'ms' in r and (f"{r['op']} {r['n']}->{r['m']}", r['dtype'], r['batch']) not in known]
if missing:
    raise SystemExit(f'sweep cases without a case in {PATH}: {[(r["op"], r["n"], r["m"], r["dtype"], r["batch"]) for r in missing]}')
apply_sweep(out, sweep, f'{CALL}/sweep.json', compiled, fresh, f'{CALL}/torch.json')

host = json.load(open(f'{CALL}/host-path.json'))
pinned = {r['batch']: r['ms'] for r in json.load(open(f'{CALL}/torch-host.json'))['records']}
out['host_round_trip'] = [
    dict(batch=h['batch'], build=h['build'], call=LABEL, modes_ms={m: round(v['medianMs'], 3) for m, v in h['modeMs'].items()},
         gc_count={m: v['gcCount'] for m, v in h['modeMs'].items()},
         pytorch_pinned_ms=round(pinned[h['batch']], 3), phases_ms={k: round(v, 3) for k, v in h.get('phaseMs', {}).items()})
    for h in host['records']]
out['host_round_trip_note'] = ('builds: untuned = the default build (large kernel set on this GPU), portable = the set every adapter runs. '
                               'modes: fresh = forward(x) (since session 27 its result arrays of 1-64 MiB made ahead by helper threads in Node); '
                               'fresh:atCall = forward(x) with every result array new at the call (before session 27); fresh:ahead3 = fresh '
                               'with 3 arrays made ahead by 3 threads; out = forward(x, { out }); out:R = forward(x, { out, chunkRows: R }); '
                               'staging = input(), x copied into the view, run(); stagingRun = run() alone; ring:R / ringRun:R = '
                               'the same through a ring of stagings of R rows; stream:R / streamRun:R = chunks of R rows through two '
                               'stagings (bench/host-path.ts). PyTorch pinned round trip from the same device call '
                               '(torch_baseline.py --host-only). gc_count: V8 collections over the timed repeats. phases_ms: '
                               'bench/host-path.ts phaseMs (trip*: one submission stamped on the GPU).')
out['date'] = sweep['date'][:10]
out['raw'] = sorted(set(out.get('raw', [])) | {CALL})
json.dump(out, open(PATH, 'w'), indent=1)
print_cases(out)
for h in out['host_round_trip']:
    print(h['build'], h['batch'], {k: v for k, v in h['modes_ms'].items() if k in ('fresh', 'out', 'staging', 'stagingRun', 'streamRun:1024')}, h['pytorch_pinned_ms'])
