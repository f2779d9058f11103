/**
 * The generic rank of a product of sparse factors: the rank it has for almost every value of its
 * entries (random values have it with probability 1), read from the supports alone. By the
 * Lindström–Gessel–Viennot lemma a k × k minor of the product is a sum over families of k
 * vertex-disjoint paths through the factors' layered graph (rows of the first factor, its
 * columns = rows of the next, …, columns of the last; an edge per entry), each family a distinct
 * monomial in the entries, so the generic rank is the largest number of vertex-disjoint paths
 * from the first layer to the last (Menger): a maximum flow with unit vertex capacities, found
 * here by Dinic's algorithm (O(E·√V) on unit capacities).
 */
import type { Factor } from './factors.js';

/** The generic rank of factors[0]·…·factors[L−1]; a product of no factors is the identity of size `size`. */
export function genericRank(factors: readonly Factor[], size: number): number {
  if (factors.length === 0) return size;
  const widths = [factors[0].rows, ...factors.map((f) => f.cols)];
  const offsets: number[] = [];
  widths.reduce((at, w) => (offsets.push(at), at + w), 0);
  const vertices = offsets[widths.length - 1] + widths[widths.length - 1];
  // Vertex v splits into 2v (in) and 2v + 1 (out) joined by a unit edge; then source, sink.
  const source = 2 * vertices;
  const sink = source + 1;
  const entries = factors.reduce((s, f) => s + f.row.length, 0);
  const graph = new Graph(sink + 1, vertices + entries + widths[0] + widths[widths.length - 1]);
  for (let v = 0; v < vertices; v++) graph.add(2 * v, 2 * v + 1);
  for (let v = 0; v < widths[0]; v++) graph.add(source, 2 * v);
  for (let v = 0; v < widths[widths.length - 1]; v++) graph.add(2 * (offsets[widths.length - 1] + v) + 1, sink);
  factors.forEach((f, j) => f.row.forEach((r, e) => graph.add(2 * (offsets[j] + r) + 1, 2 * (offsets[j + 1] + f.col[e]))));
  return graph.maxFlow(source, sink, Math.min(...widths));
}

/** A flow network of unit-capacity edges (each with its reverse at index ^ 1). */
class Graph {
  private readonly head: Int32Array;
  private readonly nextEdge: Int32Array;
  private readonly target: Int32Array;
  private readonly capacity: Uint8Array;
  private edges = 0;

  constructor(private readonly nodes: number, edges: number) {
    this.head = new Int32Array(nodes).fill(-1);
    this.nextEdge = new Int32Array(2 * edges);
    this.target = new Int32Array(2 * edges);
    this.capacity = new Uint8Array(2 * edges);
  }

  add(from: number, to: number): void {
    for (const [a, b, c] of [[from, to, 1], [to, from, 0]]) {
      this.target[this.edges] = b;
      this.capacity[this.edges] = c;
      this.nextEdge[this.edges] = this.head[a];
      this.head[a] = this.edges++;
    }
  }

  /** The maximum flow from `source` to `sink`, stopping at `bound` (no cut can be smaller than it anyway). */
  maxFlow(source: number, sink: number, bound: number): number {
    const level = new Int32Array(this.nodes);
    const current = new Int32Array(this.nodes);
    const stack = new Int32Array(this.nodes);
    const via = new Int32Array(this.nodes);
    let flow = 0;
    while (flow < bound) {
      // Levels by breadth-first search over edges with capacity left.
      level.fill(-1);
      level[source] = 0;
      const queue = [source];
      for (let q = 0; q < queue.length; q++)
        for (let e = this.head[queue[q]]; e >= 0; e = this.nextEdge[e])
          if (this.capacity[e] > 0 && level[this.target[e]] < 0) {
            level[this.target[e]] = level[queue[q]] + 1;
            queue.push(this.target[e]);
          }
      if (level[sink] < 0) break;
      current.set(this.head);
      // Blocking flow: depth-first along rising levels, retreating from dead ends.
      let depth = 0;
      stack[0] = source;
      while (flow < bound) {
        const u = stack[depth];
        if (u === sink) {
          for (let d = 0; d < depth; d++) {
            this.capacity[via[d]]--;
            this.capacity[via[d] ^ 1]++;
          }
          flow++;
          depth = 0;
          continue;
        }
        let e = current[u];
        while (e >= 0 && !(this.capacity[e] > 0 && level[this.target[e]] === level[u] + 1)) e = this.nextEdge[e];
        current[u] = e;
        if (e >= 0) {
          via[depth] = e;
          stack[++depth] = this.target[e];
        } else if (depth === 0) break;
        else {
          level[u] = -1;
          depth--;
        }
      }
    }
    return flow;
  }
}
