/** Reading the CLI's data files (.npy arrays, .safetensors parameters) with user-facing errors. */
import type { ParamSpec } from '../dsl/structure.js';
import { FormatError } from '../runtime/formats/format-error.js';
import { isNpy, readNpy, type NpyArray } from '../runtime/formats/npy.js';
import { readSafetensors } from '../runtime/formats/safetensors.js';
import { checkValues } from '../runtime/numerics.js';
import { ARRAY_FILE, NPY_FILE, readBytes, SAFETENSORS_FILE } from './files.js';
import { UserError } from './user-error.js';

export async function readNpyFile(path: string): Promise<NpyArray> {
  return parsing(path, readNpy, await readBytes(path, NPY_FILE));
}

/** An array read from a .npy file or from one tensor of a safetensors file. */
export interface ArrayFromFile {
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array;
  /** How messages name it: `W.npy`, or `model.safetensors['layer.weight']`. */
  readonly shownAs: string;
}

/** Tensor names listed in an error message about a file that lacks the one asked for. */
const LISTED_NAMES = 20;

/**
 * A .npy array, or with `tensor` the tensor of that name in a safetensors file (a PyTorch state
 * dict saved with safetensors: `layer.weight`). A safetensors file that holds a single tensor
 * needs no `tensor`. The format is the file's: a .npy file is recognised by its magic bytes.
 */
export async function readArrayFile(path: string, tensor?: string): Promise<ArrayFromFile> {
  const bytes = await readBytes(path, ARRAY_FILE);
  const npy = isNpy(bytes);
  if (npy && tensor !== undefined) throw new UserError(`${path}: is a .npy file, which holds one array: drop --tensor (it picks a tensor of a safetensors file)`);
  if (npy || (tensor === undefined && !path.endsWith('.safetensors'))) return { ...parsing(path, readNpy, bytes), shownAs: path };
  const file = parsing(path, readSafetensors, bytes);
  const names = [...file.tensors.keys()];
  const name = tensor ?? (names.length === 1 ? names[0] : undefined);
  const found = name === undefined ? undefined : file.tensors.get(name);
  if (!found) {
    const listed = `${names.slice(0, LISTED_NAMES).join(', ')}${names.length > LISTED_NAMES ? `, … (${names.length} in all)` : ''}`;
    const wanted = name === undefined ? 'holds several tensors: pick one with --tensor NAME' : `has no tensor '${name}'`;
    throw new UserError(`${path}: ${wanted} (tensors: ${names.length > 0 ? listed : 'none'})`);
  }
  return { shape: found.shape, data: found.data, shownAs: `${path}['${name}']` };
}

/**
 * The tensors `specs` asks for, checked by name and shape. Other tensors in the file are
 * ignored, so one file can hold the parameters of a whole module.
 */
export async function readParamsFile(path: string, specs: readonly ParamSpec[]): Promise<Map<string, Float32Array | Float64Array>> {
  const file = parsing(path, readSafetensors, await readBytes(path, SAFETENSORS_FILE));
  const params = new Map<string, Float32Array | Float64Array>();
  for (const spec of specs) {
    const t = file.tensors.get(spec.name);
    if (!t) throw new UserError(`${path}: missing tensor '${spec.name}' of shape ${shapeText(spec.shape)}`);
    if (!sameShape(t.shape, spec.shape)) {
      throw new UserError(`${path}: tensor '${spec.name}' has shape ${shapeText(t.shape)}, expected ${shapeText(spec.shape)}`);
    }
    // Refused at load, whatever the command: NaN or ±Inf weights compute differently per backend.
    checkValues(t.data, 'f32', `${path}: parameter tensor '${spec.name}'`, spec.shape);
    params.set(spec.name, t.data);
  }
  return params;
}

export function shapeText(shape: readonly number[]): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function parsing<T>(path: string, parse: (bytes: Uint8Array) => T, bytes: Uint8Array): T {
  try {
    return parse(bytes);
  } catch (e) {
    if (e instanceof FormatError) throw new UserError(`${path}: ${e.message}`);
    throw e;
  }
}
