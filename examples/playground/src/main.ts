/**
 * The monc playground: edit a `.mon` spec and see, as you type, its diagnostics, each map's
 * cost against dense, pictures of its structure, its IR and WGSL; run a map on this page's
 * WebGPU adapter against the CPU reference; project an uploaded dense matrix onto it.
 * Everything runs in the page: the compiler is the same code as `monc`.
 */
import type { CheckedMap } from '../../../src/dsl/structure.js';
import { paramsOf } from '../../../src/dsl/params.js';
import { modelOf } from '../../../src/model/build.js';
import { initParams } from '../../../src/runtime/init.js';
import type { ParamValues } from '../../../src/runtime/reference.js';
import { compileSpec, irPasses, type SpecView } from './compile-spec.js';
import { drawMatrix } from './draw-matrix.js';
import { COMPARE, EXAMPLES } from './examples.js';
import { projectNpy } from './project-npy.js';
import { runAgainstReference, verdict } from './run-map.js';
import { SpecEditor } from './spec-editor.js';
import { densePicture, factorPictures, type MatrixPicture } from './structure-pictures.js';
import { renderSummary } from './summary-table.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const FILE = 'playground.mon';
/** Pictures are shown at most this many CSS pixels on their longer side, and at least this many on the shorter. */
const PICTURE_SIDE = 180;
const PICTURE_MIN = 6;

const editor = new SpecEditor($('editor'), $('backdrop'), $('gutter'), $('diagnostics'), FILE);

let view: SpecView | undefined;
let selected: CheckedMap | undefined;
let params: ParamValues = new Map();

function setStatus(text: string, kind: 'ok' | 'errors' | 'busy'): void {
  const status = $('status');
  status.textContent = text;
  status.className = kind;
  document.body.dataset.state = kind;
}

function recompile(): void {
  view = compileSpec(editor.text, FILE);
  editor.show(view.diagnostics);
  const errors = view.diagnostics.filter((d) => d.severity === 'error').length;
  if (!view.module || errors > 0) {
    setStatus(`${errors} error${errors === 1 ? '' : 's'}`, 'errors');
    clearMapPanels('Fix the errors in the spec to see this.');
    return;
  }
  const module = view.module;
  setStatus(`module ${module.name}: ${module.maps.length} map${module.maps.length === 1 ? '' : 's'}, ${module.dtype}`, 'ok');
  const keep = module.maps.find((m) => m.name === selected?.name) ?? module.maps[0];
  const mapSelect = $<HTMLSelectElement>('map');
  mapSelect.replaceChildren(...module.maps.map((m) => new Option(`${m.name} : ${m.in} -> ${m.out}`, m.name)));
  mapSelect.value = keep.name;
  $('wgsl').textContent = view.outputs?.wgsl ?? '';
  selectMap(keep.name);
}

function clearMapPanels(message: string): void {
  selected = undefined;
  for (const id of ['wgsl', 'ir', 'run-result', 'project-result', 'params-label']) $(id).textContent = '';
  $('pictures').replaceChildren(message);
  $('picture-notes').replaceChildren();
  $('ir-pass').replaceChildren();
  $('summary').replaceChildren();
  $('map').replaceChildren();
}

function selectMap(name: string): void {
  const module = view?.module;
  const map = module?.maps.find((m) => m.name === name);
  if (!module || !map) return;
  selected = map;
  $<HTMLSelectElement>('map').value = name;
  renderSummary($('summary'), module, name, selectMap);
  setParams(initParams(paramsOf(map.structure), 0), 'parameters: random (seed 0, uniform ±1/√fan_in)');
  for (const id of ['run-result', 'project-result']) $(id).textContent = '';
  showIr(map);
}

function setParams(values: ParamValues, label: string): void {
  params = values;
  $('params-label').textContent = label;
  drawPictures();
}

function drawPictures(): void {
  if (!selected) return;
  const dense = densePicture(modelOf(selected), params);
  const { pictures, notes } = factorPictures(modelOf(selected), params);
  const figures = [...(typeof dense === 'string' ? [] : [dense]), ...pictures].map(figure);
  $('pictures').replaceChildren(...figures);
  $('picture-notes').replaceChildren(...[...(typeof dense === 'string' ? [dense] : []), ...notes].map((n) => Object.assign(document.createElement('li'), { textContent: n })));
}

function figure(picture: MatrixPicture): HTMLElement {
  const canvas = document.createElement('canvas');
  canvas.className = 'matrix';
  const drawn = drawMatrix(canvas, picture.rows, picture.cols, picture.entries);
  const scale = PICTURE_SIDE / Math.max(picture.rows, picture.cols);
  canvas.style.width = `${Math.max(PICTURE_MIN, Math.round(picture.cols * scale))}px`;
  canvas.style.height = `${Math.max(PICTURE_MIN, Math.round(picture.rows * scale))}px`;
  const caption = document.createElement('figcaption');
  const pooled = drawn.pool > 1 ? `, ${drawn.pool}x${drawn.pool} entries per pixel` : '';
  caption.innerHTML = `<strong></strong><br>`;
  caption.firstElementChild!.textContent = picture.title;
  caption.append(`${picture.caption}${pooled}; max |v| ${drawn.maxMagnitude.toPrecision(3)}`);
  const fig = document.createElement('figure');
  fig.append(canvas, caption);
  return fig;
}

function showIr(map: CheckedMap): void {
  const passes = irPasses(map, view!.module!.dtype);
  const select = $<HTMLSelectElement>('ir-pass');
  select.replaceChildren(...passes.map((p, i) => new Option(`after ${p.pass}`, String(i))));
  select.value = String(passes.length - 1);
  select.onchange = () => ($('ir').textContent = passes[Number(select.value)].text);
  $('ir').textContent = passes[passes.length - 1]?.text ?? '';
}

async function run(): Promise<void> {
  const out = $('run-result');
  const manifest = view?.outputs?.manifest.maps.find((m) => m.name === selected?.name);
  if (!view?.outputs || !manifest) return void (out.textContent = 'nothing to run: the spec has errors');
  const batch = Math.max(1, Math.min(256, Number($<HTMLInputElement>('batch').value) || 1));
  out.className = 'result';
  out.textContent = 'running…';
  delete out.dataset.relativeError;
  try {
    const r = await runAgainstReference(manifest, view.outputs.wgsl, view.outputs.manifest.dtype, params, batch);
    const { ok, tolerance } = verdict(r);
    out.className = ok ? 'result' : 'result bad';
    out.dataset.relativeError = String(r.relativeError);
    out.textContent =
      `${manifest.name} on ${r.adapter} (kernel set ${r.kernelSet}, ${r.storage} storage), batch ${r.batch}: relative error ${r.relativeError.toExponential(2)} against float64 (${ok ? 'within' : 'above'} ${tolerance.toExponential(0)}); ` +
      `${r.gpuMs.toFixed(2)} ms per forward on the GPU (upload and readback included), ${r.cpuMs.toFixed(2)} ms for the CPU reference`;
  } catch (e) {
    out.className = 'result bad';
    out.textContent = `could not run: ${(e as Error).message}`;
  }
}

async function projectUpload(file: File): Promise<void> {
  const out = $('project-result');
  if (!selected) return;
  delete out.dataset.relativeError;
  try {
    const result = projectNpy(modelOf(selected), new Uint8Array(await file.arrayBuffer()));
    out.className = 'result';
    out.dataset.relativeError = String(result.relativeError);
    out.textContent =
      `${file.name} onto ${selected.name}: relative error ${result.relativeError.toExponential(3)} (${result.method}${result.optimal ? ', optimal' : ''}); ` +
      `${result.paramCount} parameters instead of ${result.denseParamCount}`;
    setParams(result.params, `parameters: projected from ${file.name}`);
  } catch (e) {
    out.className = 'result bad';
    out.textContent = `could not project ${file.name}: ${(e as Error).message}`;
  }
}

let pending: ReturnType<typeof setTimeout> | undefined;
$('editor').addEventListener('input', () => {
  clearTimeout(pending);
  pending = setTimeout(recompile, 250);
});
$<HTMLSelectElement>('map').addEventListener('change', (e) => selectMap((e.target as HTMLSelectElement).value));
$('run').addEventListener('click', () => void run());
$<HTMLInputElement>('npy').addEventListener('change', (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file) void projectUpload(file);
});
const examples = $<HTMLSelectElement>('example');
examples.replaceChildren(...[...EXAMPLES.keys()].map((name) => new Option(name, name)));
examples.addEventListener('change', () => {
  editor.text = EXAMPLES.get(examples.value) ?? COMPARE;
  recompile();
});

editor.text = COMPARE;
recompile();
