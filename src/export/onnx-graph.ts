/**
 * A small builder for an ONNX graph (default domain only) over the `onnx-proto` schema: nodes
 * get fresh value names, int64 shape/axis constants are `Constant` nodes (so the model's only
 * initializers are the map's parameters), and the finished model is encoded by protobufjs.
 */
import onnxProto from 'onnx-proto';
import { f32ArrayToF16 } from '../runtime/formats/f16.js';

const { onnx } = onnxProto;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IAttributeProto = onnxProto.onnx.IAttributeProto;

/** The opset the exporter writes (ONNX 1.12; every operator used here exists in it unchanged). */
export const ONNX_OPSET = 17;
/** The IR version that goes with opset 17. */
const ONNX_IR_VERSION = 8;

/** Element types of the exported activations and parameters. */
export type ElemType = 'float32' | 'float16';

const DataType = onnx.TensorProto.DataType;
const AttrType = onnx.AttributeProto.AttributeType;

/** A value of the graph, by name. */
export type Value = string;

type Attr = number | readonly number[] | string;

export class GraphBuilder {
  private readonly nodes: INodeProto[] = [];
  private readonly initializers: ITensorProto[] = [];
  private readonly constants = new Map<string, Value>();
  private readonly cache = new Map<string, Value>();
  private count = 0;

  constructor(readonly elem: ElemType) {}

  /** A node with one output; returns the output's name. */
  node(opType: string, inputs: readonly Value[], attrs: Readonly<Record<string, Attr>> = {}): Value {
    const output = `${opType.toLowerCase()}_${this.count++}`;
    this.nodes.push({ opType, input: [...inputs], output: [output], attribute: Object.entries(attrs).map(([name, v]) => attribute(name, v)) });
    return output;
  }

  /** `x` under the name `name` (the graph's output). */
  identity(x: Value, name: string): Value {
    this.nodes.push({ opType: 'Identity', input: [x], output: [name] });
    return name;
  }

  /** `make()` once per `key`: derived constants (a transposed weight) are built once however often they are used. */
  memo(key: string, make: () => Value): Value {
    let v = this.cache.get(key);
    if (v === undefined) {
      v = make();
      this.cache.set(key, v);
    }
    return v;
  }

  /** An initializer of the element type: the ONNX home of a parameter tensor, under its own name. */
  initializer(name: string, shape: readonly number[], values: ArrayLike<number>): Value {
    this.initializers.push({ name, dims: [...shape], dataType: elemDataType(this.elem), rawData: elemBytes(this.elem, values) });
    return name;
  }

  /** A 1-D int64 constant (shapes, axes, slice bounds), one node per distinct value. */
  ints(values: readonly number[]): Value {
    const key = values.join(',');
    let v = this.constants.get(key);
    if (v === undefined) {
      const raw = new Uint8Array(new BigInt64Array(values.map((x) => BigInt(x))).buffer);
      v = this.constant({ dims: [values.length], dataType: DataType.INT64, rawData: raw });
      this.constants.set(key, v);
    }
    return v;
  }

  /** An int64 constant of shape `dims` (the block indices a Gather or ScatterND reads); not shared. */
  indexTable(values: readonly number[], dims: readonly number[]): Value {
    const raw = new Uint8Array(new BigInt64Array(values.map((x) => BigInt(x))).buffer);
    return this.constant({ dims: [...dims], dataType: DataType.INT64, rawData: raw });
  }

  /** Nodes so far (Constant nodes included): what an op's graph costs, to choose between two forms. */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /** A scalar zero of the element type. */
  zero(): Value {
    return this.memo('zero', () => this.constant({ dims: [], dataType: elemDataType(this.elem), rawData: elemBytes(this.elem, [0]) }));
  }

  /** A small constant of the element type, or of `elem` (not an initializer: those are the parameters alone). */
  elemConstant(shape: readonly number[], values: readonly number[], elem: ElemType = this.elem): Value {
    return this.constant({ dims: [...shape], dataType: elemDataType(elem), rawData: elemBytes(elem, values) });
  }

  /** `x` converted to `elem`. */
  cast(x: Value, elem: ElemType): Value {
    return this.node('Cast', [x], { to: elemDataType(elem) });
  }

  private constant(t: ITensorProto): Value {
    const output = `constant_${this.count++}`;
    this.nodes.push({ opType: 'Constant', input: [], output: [output], attribute: [{ name: 'value', type: AttrType.TENSOR, t }] });
    return output;
  }

  reshape(x: Value, shape: readonly number[]): Value {
    return this.node('Reshape', [x, this.ints(shape)]);
  }

  transpose(x: Value, perm: readonly number[]): Value {
    return perm.every((p, i) => p === i) ? x : this.node('Transpose', [x], { perm });
  }

  matmul(x: Value, w: Value): Value {
    return this.node('MatMul', [x, w]);
  }

  add(x: Value, y: Value): Value {
    return this.node('Add', [x, y]);
  }

  /** x[..., start:end, ...] along `axis`. */
  slice(x: Value, axis: number, start: number, end: number): Value {
    return this.node('Slice', [x, this.ints([start]), this.ints([end]), this.ints([axis])]);
  }

  concat(xs: readonly Value[], axis: number): Value {
    return xs.length === 1 ? xs[0] : this.node('Concat', xs, { axis });
  }

  /** `rows` broadcast to (batch of `like`, size): Expand to the batch of a (batch, …) value. */
  expandToBatch(rows: Value, like: Value, size: number): Value {
    const batch = this.memo(`batch:${like}`, () => this.node('Shape', [like], { start: 0, end: 1 }));
    return this.node('Expand', [rows, this.node('Concat', [batch, this.ints([size])], { axis: 0 })]);
  }

  /** The model: input `x` (batch, n), output `y` (batch, m), `batch` symbolic. */
  encode(graphName: string, input: { name: Value; size: number }, output: { name: Value; size: number }, producerVersion: string): Uint8Array {
    const valueInfo = (name: string, size: number) => ({
      name,
      type: { tensorType: { elemType: elemDataType(this.elem), shape: { dim: [{ dimParam: 'batch' }, { dimValue: size }] } } },
    });
    const model = {
      irVersion: ONNX_IR_VERSION,
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      producerName: 'monc',
      producerVersion,
      graph: { name: graphName, node: this.nodes, initializer: this.initializers, input: [valueInfo(input.name, input.size)], output: [valueInfo(output.name, output.size)] },
    };
    return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
  }
}

function attribute(name: string, v: Attr): IAttributeProto {
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return { name, type: AttrType.INT, i: v };
  return { name, type: AttrType.INTS, ints: [...v] };
}

function elemDataType(elem: ElemType): number {
  return elem === 'float32' ? DataType.FLOAT : DataType.FLOAT16;
}

/** Little-endian raw bytes of `values` in the element type (float16: rounded to nearest even). */
function elemBytes(elem: ElemType, values: ArrayLike<number>): Uint8Array {
  const typed = elem === 'float32' ? Float32Array.from(values) : f32ArrayToF16(values);
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}
