/**
 * Runs each map of maps.mon on the page's WebGPU adapter, checks it against the float64
 * reference, and shows the error and the time. The results also go to `window.moncResults`
 * for the end-to-end test.
 */
import { referenceApply, type ManifestMap } from 'monc/runtime';
import { up, mixer, pf } from './maps.mon';

interface MapResult {
  readonly map: string;
  readonly shape: string;
  readonly adapter: string;
  readonly relativeError: number;
  readonly ms: number;
}

declare global {
  interface Window {
    moncResults?: { readonly results: readonly MapResult[] } | { readonly error: string };
  }
}

/** Deterministic pseudo-random values in [-1, 1) (a 32-bit LCG): the same numbers on every run. */
function randomValues(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  });
}

function randomParams(map: ManifestMap, seed: number): Record<string, Float32Array> {
  return Object.fromEntries(map.params.map((p, i) => [p.name, randomValues(p.shape.reduce((a, b) => a * b, 1), seed + i)]));
}

function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < want.length; i++) {
    diff += (got[i] - want[i]) ** 2;
    norm += want[i] ** 2;
  }
  return Math.sqrt(diff / norm);
}

type MapClass = typeof up | typeof mixer | typeof pf;

async function check(Structured: MapClass, seed: number): Promise<MapResult> {
  const map = Structured.manifest;
  const params = randomParams(map, seed);
  const runner = await Structured.create();
  // Parameters built from the manifest are untyped: load them through the untyped runner.
  runner.runner.loadParams(params);
  const batch = 3;
  const x = randomValues(batch * map.in, seed * 7 + 1);
  const start = performance.now();
  const y = await runner.forward(x, batch);
  const ms = performance.now() - start;
  const want = referenceApply(map.model, new Map(Object.entries(params)), x, batch);
  const result = { map: map.name, shape: `${map.in} -> ${map.out}`, adapter: runner.runner.adapterDescription, relativeError: relativeError(y, want), ms };
  runner.destroy();
  return result;
}

function show(results: readonly MapResult[]): void {
  const table = document.getElementById('results') as HTMLTableElement;
  table.innerHTML = '<tr><th>map</th><th>shape</th><th>relative error</th><th>ms</th></tr>';
  for (const r of results) {
    const row = table.insertRow();
    for (const cell of [r.map, r.shape, r.relativeError.toExponential(2), r.ms.toFixed(1)]) row.insertCell().textContent = cell;
  }
  document.getElementById('status')!.textContent = `adapter: ${results[0]?.adapter ?? 'none'}`;
}

try {
  const results = [await check(up, 1), await check(mixer, 2), await check(pf, 3)];
  show(results);
  window.moncResults = { results };
} catch (e) {
  const message = e instanceof Error ? e.message : String(e);
  document.getElementById('status')!.textContent = `error: ${message}`;
  window.moncResults = { error: message };
}
