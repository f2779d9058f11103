/**
 * Peers' weights as monc parameters: a map whose lowered IR is a chain of Kronecker-sparse
 * factors (plus an optional bias term) takes a peer layer's factors one for one, when the
 * patterns agree. The IR says where each factor's weights live (tensor, under its safetensors
 * name, and offset), so tied weights, monarch, butterfly, ks and blockdiag maps need no
 * peer-specific code.
 */
import type { CheckedMap, Dtype } from '../dsl/structure.js';
import type { BiasExpr, IrExpr, IrParam, KsExpr } from '../ir/ir.js';
import { lowerMap } from '../ir/lower.js';
import { flattenExpr } from '../ir/passes/flatten.js';
import { checkValues, ValueRangeError } from '../runtime/numerics.js';
import { readFlyMonarch } from './fly.js';
import { readKsLinear } from './ksmm.js';
import { InteropError, patternText, type PeerLayer, type StateDict } from './peer-layer.js';
import { readTorchButterfly } from './torch-butterfly.js';
import { MoncError } from '../util/error.js';
import { refuseUnknownOptions } from '../util/library-arguments.js';
import { describeValue } from '../util/describe-value.js';

export type Peer = 'fly' | 'torch_butterfly' | 'ksmm';
export const PEERS: readonly Peer[] = ['fly', 'torch_butterfly', 'ksmm'];

export interface ConvertOptions {
  /** The layer's key prefix in the state dict (`encoder.fc1.`); found automatically when there is one layer. */
  readonly prefix?: string | undefined;
  /** The module's dtype: an f16 module's weights must also lie within ±65504. Default f32. */
  readonly dtype?: Dtype | undefined;
}

/** The map's parameters (by safetensors name, row-major) holding the peer layer's weights. */
export function convertPeerWeights(map: CheckedMap, peer: Peer, state: StateDict, options: ConvertOptions = {}): Map<string, Float32Array> {
  // From JavaScript anything may come: a state dict is a Map of tensors by name.
  if (!(state instanceof Map)) throw new MoncError('user', `convertPeerWeights() takes the state dict as a Map of { shape, data } by tensor name, not ${describeValue(state)}`);
  refuseUnknownOptions('convertPeerWeights', options, ['prefix', 'dtype']);
  const target = mapFactors(map);
  const layer = readLayer(peer, state, target, options.prefix);
  const want = layer.factors.map((f) => patternText(f.pattern)).join(' then ');
  const have = target.factors.map((f) => patternText([f.a, f.b, f.c, f.d])).join(' then ');
  if (want !== have) {
    throw new InteropError(
      `the ${layer.kind} layer is ${want}; map '${map.name}' (${map.in} -> ${map.out}) is ${have}. A map that fits: map ${map.name} : ${layer.mon}${layer.bias ? ' + bias()' : ''}`,
    );
  }
  if (layer.bias && !target.bias) throw new InteropError(`the ${layer.kind} layer has a bias (${layer.bias.from}); map '${map.name}' has no bias() term: write it as map ${map.name} : ${layer.mon} + bias()`);
  if (!layer.bias && target.bias) throw new InteropError(`map '${map.name}' has a bias() term, but the ${layer.kind} layer has no bias tensor`);

  const out = new Map<string, Float32Array>();
  for (const p of target.params) out.set(p.name, new Float32Array(p.shape.reduce((s, v) => s * v, 1)));
  const written = new Map<string, string>();
  const put = (tensor: string, offset: number, data: ArrayLike<number>, shape: readonly number[], from: string) => {
    refuseUnloadable(data, options.dtype ?? 'f32', from, shape);
    const key = `${tensor}@${offset}`;
    const dst = out.get(tensor)!;
    const earlier = written.get(key);
    if (earlier !== undefined) {
      // A tied weight (the same map used twice): the peer must have the same values at both uses.
      for (let i = 0; i < data.length; i++) {
        if (dst[offset + i] !== Math.fround(data[i])) throw new InteropError(`map '${map.name}' uses ${tensor} twice (tied weights), but ${earlier} and ${from} differ`);
      }
      return;
    }
    written.set(key, from);
    for (let i = 0; i < data.length; i++) dst[offset + i] = data[i];
  };
  layer.factors.forEach(({ pattern: [a, b, c, d], data, from }, i) => put(target.factors[i].weight.tensor, target.factors[i].weight.offset, data, [a * d, b, c], from));
  if (layer.bias && target.bias) put(target.bias.param.tensor, target.bias.param.offset, layer.bias.data, [layer.bias.data.length], layer.bias.from);
  return out;
}

/**
 * The check parameter loading makes (numerics.ts), made on the peer's weights: a NaN or ±Inf
 * weight (or one beyond f16's range in an f16 module) would be written, then refused by every
 * command that loads it, so it is refused here, naming the peer tensor and element.
 */
function refuseUnloadable(data: ArrayLike<number>, dtype: Dtype, from: string, shape: readonly number[]): void {
  try {
    checkValues(data, dtype, `peer tensor '${from}'`, shape);
  } catch (e) {
    if (e instanceof ValueRangeError) throw new InteropError(e.message);
    throw e;
  }
}

function readLayer(peer: Peer, state: StateDict, target: MapFactors, prefix: string | undefined): PeerLayer {
  switch (peer) {
    case 'fly':
      return readFlyMonarch(state, prefix);
    case 'torch_butterfly':
      // The state dict does not record increasing_stride; the map says which direction it expects.
      return readTorchButterfly(state, target.factors.length === 0 || target.factors[0].d === 1, prefix);
    case 'ksmm':
      return readKsLinear(state, target.factors.map((f) => [f.a, f.b, f.c, f.d] as const), prefix);
    default: {
      const unknown: never = peer;
      throw new InteropError(`unknown peer '${String(unknown)}' (known: ${PEERS.join(', ')})`);
    }
  }
}

interface MapFactors {
  readonly params: readonly IrParam[];
  /** Kronecker-sparse factors in application order. */
  readonly factors: readonly KsExpr[];
  readonly bias?: BiasExpr;
}

/** The map as factors [+ bias]: its flattened lowered IR must be a chain of `ks` (or one), alone or summed with a bias. */
function mapFactors(map: CheckedMap): MapFactors {
  const lowered = lowerMap(map, 'f32');
  const body = flattenExpr(lowered.body);
  const terms = body.kind === 'sum' ? body.terms : [body];
  const biases = terms.filter((t): t is BiasExpr => t.kind === 'bias');
  const rest = terms.filter((t) => t.kind !== 'bias');
  if (biases.length > 1 || rest.length !== 1) throw notAChain(map);
  const stages: readonly IrExpr[] = rest[0].kind === 'chain' ? rest[0].stages : [rest[0]];
  if (!stages.every((s): s is KsExpr => s.kind === 'ks')) throw notAChain(map);
  return { params: lowered.params, factors: stages, bias: biases[0] };
}

function notAChain(map: CheckedMap): InteropError {
  return new InteropError(
    `map '${map.name}' is not a chain of Kronecker-sparse factors with an optional bias() (a peer layer is one); transposes, sparse() and sums of several terms have no peer counterpart`,
  );
}
