/** Types of workflow.mjs (the example stays plain JavaScript, runnable with `node`). */
export interface Array2 {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

export interface Io {
  /** Runs `monc ARGS… --json` and returns its JSON object; throws when it fails. */
  monc(args: string[]): Promise<Record<string, any>>;
  readNpy(path: string): Array2;
  writeNpy(path: string, data: Float32Array, shape: number[]): void;
  writeText(path: string, text: string): void;
  /** Where a file of the workflow goes. */
  path(name: string): string;
  log?(line: string): void;
}

export interface Options {
  n: number;
  rows: number;
  heldOut: number;
  steps: number;
  lr: number;
  batch: number;
  decay: number;
  seed: number;
  backend: 'cpu' | 'webgpu';
}

export interface Figures {
  finetune: { params: number; denseParams: number; weightError: number; projected: number; finetuned: number; lossInitial: number; lossFinal: number };
  planted: { lossInitial: number; lossFinal: number; distanceInitial: number; distanceFinal: number };
}

export const DEFAULTS: Options;
export function finetuneExample(io: Io, options?: Partial<Options>): Promise<Figures>;
