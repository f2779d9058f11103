/**
 * Reading the CLI's data files (.npy arrays, .safetensors parameters) with user-facing errors.
 * A safetensors file is read by its header: only the tensors asked for are read, so a state dict
 * larger than memory (or than the 2 GiB a data file may be) still gives up one layer's weight.
 */
import type { ParamSpec } from '../dsl/structure.js';
import type { Dtype } from '../manifest/program.js';
import { looksLikeSafetensors } from '../node/files/bounds.js';
import { MAX_DATA_FILE_BYTES, bytesText, readFileBounded, withRegularFile, type OpenFile } from '../node/files/read-bounded.js';
import type { SourcePrecision } from '../project/project.js';
import { FormatError } from '../runtime/formats/format-error.js';
import { isNpy, readNpy, type NpyArray } from '../runtime/formats/npy.js';
import { decodeSafetensorsTensor, readSafetensorsIndex, safetensorsHeaderLength, type SafetensorsEntry, type SafetensorsIndex, type SafetensorsReadDtype, type SafetensorsTensor } from '../runtime/formats/safetensors.js';
import { checkValues } from '../runtime/numerics.js';
import { ParamError } from '../runtime/params.js';
import { MoncError } from '../util/error.js';
import { ARRAY_FILE, FileError, NPY_FILE, SAFETENSORS_FILE, type SourceFile } from './files.js';
import { shapeText } from '../util/shape-text.js';

export async function readNpyFile(path: string): Promise<NpyArray> {
  return parsing(path, () => readNpy(readFileBounded(path, NPY_FILE)));
}

/** An array read from a .npy file or from one tensor of a safetensors file. */
export interface ArrayFromFile {
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array;
  /** The precision the file held the values in (`<f2` and F16 data arrive as a Float32Array, rounded to f16 all the same). */
  readonly precision: SourcePrecision;
  /** How messages name it: `W.npy`, or `model.safetensors['layer.weight']`. */
  readonly shownAs: string;
}

/** A .npy dtype's precision by kind and size, whatever its byte-order mark (`|f2` reads as `<f2`): `f8`, integers and booleans are held exactly in float64. */
const NPY_PRECISION: Readonly<Record<string, SourcePrecision>> = { f2: 'f16', f4: 'f32' };
const SAFETENSORS_PRECISION: Readonly<Record<SafetensorsReadDtype, SourcePrecision>> = { F16: 'f16', BF16: 'bf16', F32: 'f32', F64: 'f64' };

/** Tensor names listed in an error message about a file that lacks the one asked for. */
const LISTED_NAMES = 20;

/**
 * A .npy array, or with `tensor` the tensor of that name in a safetensors file (a PyTorch state
 * dict saved with safetensors: `layer.weight`). A safetensors file that holds a single tensor
 * needs no `tensor`. The format is the file's: a .npy file by its magic bytes, a safetensors one by its header.
 */
export async function readArrayFile(path: string, tensor?: string): Promise<ArrayFromFile> {
  // The format is the content's, not the name's (QA s14 Q30: a one-tensor safetensors file named bf.st was read as .npy);
  // a file that is neither is read as the name (or --tensor) says, for that reader's error.
  const head = withRegularFile(path, ARRAY_FILE.what, path, (file) => ({ bytes: file.read(0, Math.min(16, file.size)), size: file.size }));
  const npy = isNpy(head.bytes);
  if (npy && tensor !== undefined) throw new MoncError('user', `${path}: is a .npy file, which holds one array: drop --tensor (it picks a tensor of a safetensors file)`);
  const safetensors = !npy && (looksLikeSafetensors(head.bytes, head.size) || tensor !== undefined || path.endsWith('.safetensors'));
  if (!safetensors) {
    const array = await readNpyFile(path);
    return { shape: array.shape, data: array.data, precision: NPY_PRECISION[array.dtype.slice(1)] ?? 'f64', shownAs: path };
  }
  let name = tensor;
  const [found] = readSafetensorsTensors(path, (index) => {
    const names = index.entries.map((e) => e.name);
    name ??= names.length === 1 ? names[0] : undefined;
    const entry = index.entries.find((e) => e.name === name);
    if (!entry) {
      const listed = `${names.slice(0, LISTED_NAMES).join(', ')}${names.length > LISTED_NAMES ? `, … (${names.length} in all)` : ''}`;
      const wanted = name === undefined ? 'holds several tensors: pick one with --tensor NAME' : `has no tensor '${name}'`;
      throw new MoncError('user', `${path}: ${wanted} (tensors: ${names.length > 0 ? listed : 'none'})`);
    }
    return [entry];
  });
  return { shape: found.shape, data: found.data, precision: SAFETENSORS_PRECISION[found.dtype], shownAs: `${path}['${name}']` };
}

/**
 * The tensors `specs` asks for, checked by name, shape and finiteness. Other tensors in the file
 * are neither read nor checked, so one file can hold the parameters of a whole module.
 */
export async function readParamsFile(path: string, specs: readonly ParamSpec[], dtype: Dtype): Promise<Map<string, Float32Array | Float64Array>> {
  const tensors = readSafetensorsTensors(path, (index) =>
    specs.map((spec) => {
      const t = index.entries.find((e) => e.name === spec.name);
      if (!t) throw new ParamError(`${path}: missing tensor '${spec.name}' of shape ${shapeText(spec.shape)}`);
      if (!sameShape(t.shape, spec.shape)) {
        throw new ParamError(`${path}: tensor '${spec.name}' has shape ${shapeText(t.shape)}, expected ${shapeText(spec.shape)}`);
      }
      return t;
    }),
  );
  const params = new Map<string, Float32Array | Float64Array>();
  specs.forEach((spec, i) => {
    // Refused at load, whatever the command, with the file's name: NaN or ±Inf weights compute differently per backend,
    // and so do values beyond ±65504 in an f16 module (QA1 s25 Q402: monc dense took them, where run, grad, train and
    // export refused them later, in the runner or exporter's check, without the file's name).
    checkValues(tensors[i].data, dtype, `${path}: parameter tensor '${spec.name}'`, spec.shape);
    params.set(spec.name, tensors[i].data);
  });
  return params;
}

/**
 * The index of a safetensors file, from its header alone, with the file as it was (`monc train` in place copies the
 * other tensors from it as it writes: a state dict of any size).
 */
export async function readSafetensorsHeader(path: string): Promise<{ index: SafetensorsIndex; source: SourceFile }> {
  return withRegularFile(path, SAFETENSORS_FILE.what, path, (file) => ({
    index: safetensorsIndexOf(path, file),
    source: { path, what: SAFETENSORS_FILE.what, shownAs: path, version: file.version() },
  }));
}

/** The index of the open safetensors file at `path`, reading its header only. */
function safetensorsIndexOf(path: string, file: OpenFile): SafetensorsIndex {
  const first = file.read(0, Math.min(16, file.size));
  const problem = SAFETENSORS_FILE.checkHead!(first, file.size);
  if (problem !== undefined) throw new FileError(`${path}: ${problem}`, problem);
  return parsing(path, () => readSafetensorsIndex(file.read(0, 8 + safetensorsHeaderLength(first, file.size)), file.size));
}

/**
 * The tensors `pick` chooses from the file's index, in its order: the header is read, then only
 * those tensors' bytes (together at most 2 GiB).
 */
function readSafetensorsTensors(path: string, pick: (index: SafetensorsIndex) => readonly SafetensorsEntry[]): SafetensorsTensor[] {
  return withRegularFile(path, SAFETENSORS_FILE.what, path, (file) => {
    const index = safetensorsIndexOf(path, file);
    const entries = pick(index);
    const bytes = entries.reduce((sum, e) => sum + (e.end - e.begin), 0);
    if (bytes > MAX_DATA_FILE_BYTES) {
      const reason = `the tensors asked for take ${bytesText(bytes)}, over the limit of ${bytesText(MAX_DATA_FILE_BYTES)} monc reads at once`;
      throw new FileError(`${path}: ${reason}`, reason);
    }
    // A tensor of a dtype monc does not read (I64, BOOL, …) is an error naming the file only when asked for.
    return parsing(path, () => entries.map((e) => decodeSafetensorsTensor(e, file.read(index.dataStart + e.begin, e.end - e.begin))));
  });
}

// The one shape formatter, for this file's importers too.
export { shapeText };

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function parsing<T>(path: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    // The same error, naming the file.
    if (e instanceof FormatError) throw new FormatError(`${path}: ${e.message}`);
    throw e;
  }
}
