/**
 * Test support: a dense op y = W x (W of shape (m, n)) and a kernel for it in the families' own
 * shell (kernelShell: the binding contract written once), one thread per output element, for the
 * tuner's tests of dispatch and checking. `wrongRows` makes a kernel that writes 0 for the batch
 * rows in [from, to): a candidate wrong in one place only.
 */
import { forwardBindings, kernelNames, kernelShell } from '../../src/codegen/wgsl/scaffold.js';
import type { EmittedKernel } from '../../src/codegen/wgsl/kernel.js';
import { syntheticSpan } from '../../src/dsl/span.js';
import type { KsOp } from '../../src/ir/ir.js';

/** Threads per workgroup of denseKernel. */
export const DENSE_WG = 4;

export function denseKernel(n: number, m: number, wrongRows?: { readonly from: number; readonly to: number }): EmittedKernel {
  const k = kernelNames('k');
  const wrong = wrongRows ? [`if (row >= ${wrongRows.from}u && row < ${wrongRows.to}u) { acc = 0.0; }`] : [];
  const wgsl = kernelShell('k', {
    bindings: forwardBindings('f32'),
    workgroupSize: DENSE_WG,
    body: [
      `let item = group * ${DENSE_WG}u + lid;`,
      `if (item >= ${k.dims}.batch * ${m}u) { return; }`,
      `let row = item / ${m}u;`,
      `let o = item % ${m}u;`,
      'var acc = 0.0;',
      `for (var j = 0u; j < ${n}u; j++) { acc += ${k.params}[o * ${n}u + j] * ${k.src}[row * ${n}u + j]; }`,
      ...wrong,
      `${k.dst}[item] = acc;`,
    ],
  });
  return {
    entryPoint: 'k',
    wgsl,
    enables: [],
    workgroupSize: [DENSE_WG, 1, 1],
    dispatch: { kind: 'flat', itemsPerRow: m, itemsPerWorkgroup: DENSE_WG },
    schedule: { family: 'test-dense' },
    ops: [0],
  };
}

export function denseOp(n: number, m: number): KsOp {
  const identity = (size: number) => ({ size, steps: [] });
  return {
    kind: 'ks', a: 1, b: m, c: n, d: 1, src: 'x', dst: 'y', accumulate: false, span: syntheticSpan('<test>'),
    weight: { tensor: 'weight', offset: 0, length: m * n },
    input: identity(n), output: identity(m),
  };
}

/** The KernelCheck layout of denseOp. */
export function denseLayout(n: number, m: number) {
  return { params: [{ name: 'weight', shape: [m, n], offset: 0 }], buffers: new Map([['x', n], ['y', m]]) };
}
