import { assertNever } from '../util/assert.js';
import type { ModelMap, ModelNode } from './types.js';

/**
 * The model without source spans (they hold absolute paths): what the manifest ships. A tied
 * map's body is stripped once per map name and shared by its uses, as in the model.
 */
export function modelWithoutSpans(model: ModelMap): ModelMap {
  return { ...model, body: nodeWithoutSpans(model.body, new Map()) };
}

function nodeWithoutSpans(n: ModelNode, tied: Map<string, ModelNode>): ModelNode {
  const { span: _span, ...rest } = n;
  switch (rest.kind) {
    case 'ks':
    case 'bsr':
    case 'transpose':
    case 'bias':
      return rest;
    case 'chain':
      return { ...rest, stages: rest.stages.map((s) => nodeWithoutSpans(s, tied)) };
    case 'sum':
      return { ...rest, terms: rest.terms.map((t) => nodeWithoutSpans(t, tied)) };
    case 'tied': {
      let body = tied.get(rest.map);
      if (body === undefined) {
        body = nodeWithoutSpans(rest.body, tied);
        tied.set(rest.map, body);
      }
      return { ...rest, body };
    }
    default:
      return assertNever(rest, 'model node');
  }
}
