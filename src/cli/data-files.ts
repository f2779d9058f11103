/** Reading the CLI's data files (.npy arrays, .safetensors parameters) with user-facing errors. */
import type { ParamSpec } from '../dsl/structure.js';
import { FormatError } from '../runtime/formats/format-error.js';
import { readNpy, type NpyArray } from '../runtime/formats/npy.js';
import { readSafetensors } from '../runtime/formats/safetensors.js';
import { readBytes } from './files.js';
import { UserError } from './user-error.js';

export async function readNpyFile(path: string): Promise<NpyArray> {
  return parsing(path, readNpy, await readBytes(path));
}

/**
 * The tensors `specs` asks for, checked by name and shape. Other tensors in the file are
 * ignored, so one file can hold the parameters of a whole module.
 */
export async function readParamsFile(path: string, specs: readonly ParamSpec[]): Promise<Map<string, Float32Array | Float64Array>> {
  const file = parsing(path, readSafetensors, await readBytes(path));
  const params = new Map<string, Float32Array | Float64Array>();
  for (const spec of specs) {
    const t = file.tensors.get(spec.name);
    if (!t) throw new UserError(`${path}: missing tensor '${spec.name}' of shape ${shapeText(spec.shape)}`);
    if (!sameShape(t.shape, spec.shape)) {
      throw new UserError(`${path}: tensor '${spec.name}' has shape ${shapeText(t.shape)}, expected ${shapeText(spec.shape)}`);
    }
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
