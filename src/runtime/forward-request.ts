/**
 * The arguments of `forward(x, options)`, checked against the map's sizes before anything runs.
 * Here rather than in host-io.ts: every forward pass needs this, while the stagings and the
 * pipelined round trip there are an opt-in entry (`monc/runtime/host-io`, extensions.ts).
 */
import { MoncError } from '../util/error.js';
import { checkArray, checkBatch } from './batch-args.js';
import { checkOptionNames, isPlainObject } from './user-error.js';
import { missingEntry, hostIoSupport } from './extensions.js';

/** Options of `forward`: the rows of `x`, and an array to write the result into. */
export interface ForwardOptions {
  /** Rows of `x` (default: x.length / in). */
  readonly batch?: number | undefined;
  /**
   * Receives Y (exactly batch × out values) and is returned, instead of a new array: for callers
   * who run many batches (on the H200 machine, first-touching a new 64 MiB result array cost more
   * than the whole GPU round trip).
   */
  readonly out?: Float32Array | undefined;
  /**
   * WebGPU: rows per chunk of the pipelined round trip (pipelined-forward.ts), a positive whole
   * number; Infinity runs the batch in one piece. Left out: with `monc/runtime/host-io` a batch
   * of 8 MiB or more in chunks of at least 4 MiB, at most 4 (HOST_PIPELINE), else one piece.
   * Ignored by the CPU backend. A
   * finite value needs `monc/runtime/host-io` (on either backend, so that a page behaves the
   * same wherever it runs).
   */
  readonly chunkRows?: number | undefined;
}

/** A forward call's rows and result array, checked against the map's sizes. */
export function forwardRequest(
  name: string,
  sizes: { readonly in: number; readonly out: number },
  x: Float32Array,
  options: number | ForwardOptions | undefined,
): { rows: number; out: Float32Array | undefined; chunkRows: number | undefined } {
  checkArray(name, 'forward', 'the input', x);
  // Anything but an options object is the batch (checked below), as JavaScript callers may pass it. An object of a class
  // is no options object, so it is refused as the batch, by its class: out passed bare (a Float32Array) was refused as an
  // option '0', an Array, a Map or a Date ran as no options (QA2 s31 Q1051).
  const given: ForwardOptions = isPlainObject(options) ? options : { batch: options ?? undefined };
  checkOptionNames(`map '${name}': forward`, given, ['batch', 'out', 'chunkRows']);
  const { batch, out, chunkRows } = given;
  // A bad batch is named as such, not blamed on the input's length.
  if (batch !== undefined) checkBatch(name, 'forward', batch);
  const rows = batch ?? x.length / sizes.in;
  const shape = (message: string) => new MoncError('shape', `map '${name}': ${message}`);
  if (!Number.isInteger(rows) || rows < 0) throw shape(`input of ${x.length} values is not a whole number of rows of ${sizes.in}`);
  // `what` holds `values`, where `rows` rows of `width` are due.
  const check = (what: string, values: number, width: number) => {
    if (values !== rows * width) throw shape(`${what} has ${values} values; expected batch ${rows} x ${width} = ${rows * width}`);
  };
  check('input', x.length, sizes.in);
  // Only an absent out (undefined, or null from JavaScript) means a new array: a falsy 0 or '' is a mistake to name.
  if (out != null) {
    // Written into: a Float32Array, not any array.
    checkArray(name, 'forward', 'out', out, true);
    check('out', out.length, sizes.out);
  }
  if (chunkRows !== undefined && chunkRows !== Infinity) {
    if (!hostIoSupport) throw missingEntry(`map '${name}': forward's chunkRows`, 'host-io');
    // The entry checks the value (its check is not in every page).
    hostIoSupport.checkChunkRows(name, chunkRows);
  }
  return { rows, out, chunkRows };
}
