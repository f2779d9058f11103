/**
 * Limits on what a checked map stands for once references are expanded (the passes after lowering
 * and the manifest see a referenced map once per use): its nodes, steps and sparse blocks, counted
 * module-wide, its nesting, and its parameters together. Each map's counts are kept, so a reference costs one
 * lookup here.
 */
import { Code } from './codes.js';
import type { DiagnosticBag } from './diagnostics.js';
import { MAX_EXPANDED_DEPTH, MAX_EXPANDED_NODES, MAX_MAP_PARAMS, MAX_MODULE_STEPS, MAX_SPARSE_BLOCKS } from './limits.js';
import { paramsOf, tensorElements } from './params.js';
import type { Span } from './span.js';
import type { CheckedMap, Structure } from './structure.js';
import { PARAM_ALIGN } from '../manifest/program.js';
import { constructorModel, isLeaf } from '../model/constructors.js';
import { stepCount } from '../model/cost.js';
import { assertNever } from '../util/assert.js';
import { exactInteger } from '../util/json.js';


interface Measure {
  readonly nodes: number;
  readonly steps: number;
  readonly depth: number;
  /** Blocks of its `sparse` patterns. */
  readonly blocks: number;
  /** Whether it references another map (its counts are then those of the expansion). */
  readonly refs: boolean;
}

/** `n` of a thing, singular or plural ('1 block matmul or bias add', '2 block matmuls and bias adds'). */
function counted(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export class ExpansionLimits {
  private readonly measures = new Map<string, Measure>();
  private nodes = 0;
  private steps = 0;
  private blocks = 0;

  constructor(private readonly bag: DiagnosticBag) {}

  /**
   * Counts a checked map (its references checked before it): 'ok', or after reporting, 'reject'
   * (this map is over a limit of its own) or 'stop' (the module is over its expansion limit).
   */
  admit(map: CheckedMap, nameSpan: Span): 'ok' | 'reject' | 'stop' {
    const measure = this.measure(map.structure);
    const { nodes, steps, depth, blocks } = measure;
    this.measures.set(map.name, measure);
    this.nodes += nodes;
    this.steps += steps;
    this.blocks += blocks;
    // Said only of a map that has references (QA1 s29 Q804: 'once its references are expanded' of a bare dense()).
    const expanded = measure.refs ? ' once its references are expanded' : '';
    const note = [{ message: 'each use of a map counts all of it again: use it fewer times, or spell out a smaller structure' }];
    if (depth > MAX_EXPANDED_DEPTH) {
      this.bag.error(
        Code.ExpansionTooDeep,
        `map '${map.name}' nests ${depth} levels deep${expanded}, more than the limit ${MAX_EXPANDED_DEPTH}`,
        nameSpan,
      );
      return 'stop';
    }
    if (this.steps > MAX_MODULE_STEPS) {
      this.bag.error(
        Code.TooManySteps,
        `map '${map.name}' has ${counted(steps, 'block matmul or bias add', 'block matmuls and bias adds')}${expanded}, which brings the module to ${this.steps}, more than the limit ${MAX_MODULE_STEPS}`,
        nameSpan,
        note,
      );
      return 'stop';
    }
    if (this.nodes > MAX_EXPANDED_NODES) {
      this.bag.error(
        Code.ExpansionTooLarge,
        `map '${map.name}' has ${counted(nodes, 'node', 'nodes')}${expanded}, which brings the module to ${this.nodes}, more than the limit ${MAX_EXPANDED_NODES}`,
        nameSpan,
        note,
      );
      return 'stop';
    }
    if (this.blocks > MAX_SPARSE_BLOCKS) {
      this.bag.error(
        Code.TooManyBlocks,
        `map '${map.name}' has ${counted(blocks, 'sparse block', 'sparse blocks')}${expanded}, which brings the module to ${this.blocks}, more than the limit ${MAX_SPARSE_BLOCKS} of a module's patterns together`,
        nameSpan,
        note,
      );
      return 'stop';
    }
    const tensors = paramsOf(map.structure);
    const elements = tensors.reduce((acc, p) => acc + tensorElements(p.shape), 0n);
    // The packed buffer may add PARAM_ALIGN - 1 elements per tensor to align it.
    const padded = elements + BigInt((PARAM_ALIGN - 1) * tensors.length);
    if (padded > BigInt(MAX_MAP_PARAMS)) {
      // The exact count; the alignment padding is named only when it is what passes the limit.
      const padding = elements > BigInt(MAX_MAP_PARAMS) ? '' : ` (up to ${exactInteger(padded)} with the alignment of each tensor)`;
      this.bag.error(
        Code.ParamsTooLarge,
        `the parameters of map '${map.name}' have ${exactInteger(elements)} elements together${padding}, more than the limit ${MAX_MAP_PARAMS} (kernels address them with 32-bit offsets)`,
        nameSpan,
      );
      return 'reject';
    }
    return 'ok';
  }

  private measure(s: Structure): Measure {
    // A constructor is one node whose steps are its model's block matmuls and bias adds.
    if (isLeaf(s)) return { nodes: 1, steps: stepCount(constructorModel(s).body), depth: 1, blocks: s.kind === 'sparse' ? s.blocks.length : 0, refs: false };
    switch (s.kind) {
      case 'sum':
      case 'chain': {
        let nodes = 1;
        let steps = 0;
        let depth = 0;
        let blocks = 0;
        let refs = false;
        for (const child of s.kind === 'sum' ? s.terms : s.factors) {
          const m = this.measure(child);
          nodes += m.nodes;
          steps += m.steps;
          depth = Math.max(depth, m.depth);
          blocks += m.blocks;
          refs ||= m.refs;
        }
        return { nodes, steps, depth: depth + 1, blocks, refs };
      }
      case 'ref': {
        // Lowering shares a target's IR, but the manifest and the TypeScript bindings hold each
        // map's model with every reference expanded (a tied node around its target's copy):
        // a use costs one node and one level more than its target.
        const target = this.measures.get(s.map)!;
        return { nodes: 1 + target.nodes, steps: target.steps, depth: 1 + target.depth, blocks: target.blocks, refs: true };
      }
      default:
        return assertNever(s, 'structure');
    }
  }
}
