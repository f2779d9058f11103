/**
 * From a checked structure to its model: constructors become their factors (src/model/constructors.ts),
 * `A @ B` a chain in application order, `A + B` a sum, and a reference to another map a `tied`
 * node. A referenced map is modelled once per map name and its model shared by every use (the
 * model is immutable), so building costs the module's text, not its expansion: an alias chain of
 * n maps is n steps, not n²/2.
 */
import type { CheckedMap, Structure } from '../dsl/structure.js';
import { checkMapArgument } from '../dsl/map-argument.js';
import { assertNever } from '../util/assert.js';
import { constructorModel, constructors, isLeaf, node } from './constructors.js';
import { MoncError } from '../util/error.js';
import { describeValue } from '../util/describe-value.js';
import { isRecord } from '../util/library-arguments.js';
import type { ModelMap, ModelNode, ParamSpec } from './types.js';

export function modelOf(map: CheckedMap): ModelMap {
  checkMapArgument('modelOf', map);
  const { params, body } = modelOfStructure(map.structure);
  return { name: map.name, in: map.in, out: map.out, params, body };
}

/**
 * The model of a structure: its body and its parameter tensors in first-use order (source
 * order, `A @ B` left to right), each name once: a map referenced twice (weight tying)
 * contributes its tensors once.
 */
export function modelOfStructure(s: Structure): { readonly params: readonly ParamSpec[]; readonly body: ModelNode } {
  const params = new Map<string, ParamSpec>();
  const tied = new Map<string, ModelNode>();
  const walk = (s: Structure): ModelNode => {
    if (isLeaf(s)) {
      const leaf = constructorModel(s);
      for (const p of leaf.params) if (!params.has(p.name)) params.set(p.name, p);
      return leaf.body;
    }
    switch (s.kind) {
      case 'sum':
        return { kind: 'sum', ...node(s), terms: s.terms.map(walk) };
      case 'chain':
        // Source order is `f0 @ f1 @ …` (f0 applied last): walk it in source order (parameter
        // order), then list the stages in application order.
        return { kind: 'chain', ...node(s), stages: s.factors.map(walk).reverse() };
      case 'ref': {
        let body = tied.get(s.map);
        if (body === undefined) {
          body = walk(s.target);
          tied.set(s.map, body);
        }
        return { kind: 'tied', ...node(s), map: s.map, body };
      }
      default:
        return assertNever(s, 'structure');
    }
  };
  const body = walk(s);
  return { params: [...params.values()], body };
}

/** The parameter tensors of a structure, in first-use order, each name once. */
/**
 * A structure passed to a library function from JavaScript (paramsOf, paramCount, structureCost):
 * anything else (a checked map, whose `.structure` it is, a string, null) is one MoncError of
 * kind `user` naming the function, not an internal error on a kind it does not know.
 */
export function checkStructureArgument(fn: string, s: unknown): asserts s is Structure {
  if (isRecord(s) && typeof s.kind === 'string' && (Object.hasOwn(constructors, s.kind) || COMPOSITE_KINDS.has(s.kind))) return;
  const hint = isRecord(s) && isRecord(s.structure) ? ' (a checked map: pass its .structure)' : '';
  throw new MoncError('user', `${fn}() takes a checked map's structure (checkSource(…).module.maps[i].structure), not ${describeValue(s)}${hint}`);
}

const COMPOSITE_KINDS: ReadonlySet<string> = new Set<Structure['kind']>(['sum', 'chain', 'ref']);

export function paramsOf(s: Structure): ParamSpec[] {
  checkStructureArgument('paramsOf', s);
  return [...modelOfStructure(s).params];
}
