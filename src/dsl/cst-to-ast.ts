/**
 * Concrete syntax tree (from `grammar.ts`) to AST. Only called on statements that parsed without
 * any error, so every child the grammar requires is present.
 */
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type * as A from './ast.js';
import type { LineIndex } from './line-index.js';
import type { Span } from './span.js';
import { invariant } from '../util/assert.js';

export class CstToAst {
  constructor(private readonly index: LineIndex) {}

  statement(node: CstNode): A.Statement {
    const [inner] = Object.values(node.children).flat() as CstNode[];
    switch (inner.name) {
      case 'moduleDecl':
        return { kind: 'module', name: this.ident(token(inner, 'Identifier')), span: this.nodeSpan(inner) };
      case 'dtypeDecl':
        return { kind: 'dtype', name: this.ident(token(inner, 'Identifier')), span: this.nodeSpan(inner) };
      case 'constDecl':
        return { kind: 'const', name: this.ident(token(inner, 'Identifier')), value: this.intExpr(child(inner, 'intExpr')), span: this.nodeSpan(inner) };
      case 'mapDecl':
        return {
          kind: 'map',
          name: this.ident(token(inner, 'Identifier')),
          inSize: this.intExpr(child(inner, 'inSize')),
          outSize: this.intExpr(child(inner, 'outSize')),
          expr: this.mapExpr(child(inner, 'mapExpr')),
          span: this.nodeSpan(inner),
        };
      default:
        throw new Error(`internal error: unexpected statement node ${inner.name}`);
    }
  }

  tokenSpan(t: IToken): Span {
    return this.index.span(t.startOffset, (t.endOffset ?? t.startOffset) + 1);
  }

  private nodeSpan(n: CstNode): Span {
    invariant(n.location, 'CST node without location');
    return this.index.span(n.location.startOffset, (n.location.endOffset ?? n.location.startOffset) + 1);
  }

  private ident(t: IToken): A.Identifier {
    return { kind: 'identifier', name: t.image, span: this.tokenSpan(t) };
  }

  /** `a + b` is a sum, `a @ b` a chain; a single operand adds no node (nor do parentheses). */
  private mapExpr(n: CstNode): A.MapExpr {
    const terms = children(n, 'terms').map((t) => this.chainExpr(t));
    return terms.length === 1 ? terms[0] : { kind: 'sum', terms, span: this.nodeSpan(n) };
  }

  private chainExpr(n: CstNode): A.MapExpr {
    const factors = children(n, 'factors').map((f) => this.primary(f));
    return factors.length === 1 ? factors[0] : { kind: 'chain', factors, span: this.nodeSpan(n) };
  }

  private primary(n: CstNode): A.MapExpr {
    const inner = n.children.mapExpr;
    if (inner) return this.mapExpr(inner[0] as CstNode);
    const call = n.children.call;
    if (call) return this.call(call[0] as CstNode);
    const ref = token(n, 'ref');
    return { kind: 'mapref', name: ref.image, span: this.tokenSpan(ref) };
  }

  private call(n: CstNode): A.Call {
    return { kind: 'call', callee: this.ident(token(n, 'Identifier')), args: children(n, 'args').map((a) => this.argument(a)), span: this.nodeSpan(n) };
  }

  private argument(n: CstNode): A.Argument {
    const name = n.children.name;
    const value = this.value(child(n, 'value'));
    const span = this.nodeSpan(n);
    return name ? { kind: 'argument', name: this.ident(name[0] as IToken), value, span } : { kind: 'argument', value, span };
  }

  private value(n: CstNode): A.Value {
    const c = n.children;
    if (c.StringLit) {
      const t = c.StringLit[0] as IToken;
      return { kind: 'string', value: t.image.slice(1, -1), span: this.tokenSpan(t) };
    }
    if (c.Decimal) {
      const t = c.Decimal[0] as IToken;
      return { kind: 'decimal', text: t.image, span: this.tokenSpan(t) };
    }
    if (c.list) {
      const list = c.list[0] as CstNode;
      return { kind: 'list', items: children(list, 'items').map((i) => this.value(i)), span: this.nodeSpan(list) };
    }
    if (c.call) return this.call(c.call[0] as CstNode);
    return this.intExpr(child(n, 'intExpr'));
  }

  /** intExpr, term and power share one shape: operands separated by operators of one level. */
  private intExpr(n: CstNode): A.IntExpr {
    const operands = children(n, 'operands').map((o) => (o.name === 'atom' ? this.atom(o) : this.intExpr(o)));
    if (operands.length === 1) return operands[0];
    const operators = (n.children.op as IToken[]).map((t) => t.image as A.ArithOperator);
    return { kind: 'arith', operands, operators, span: this.nodeSpan(n) };
  }

  private atom(n: CstNode): A.IntExpr {
    const c = n.children;
    if (c.Integer) {
      const t = c.Integer[0] as IToken;
      return { kind: 'int', value: Number(t.image), span: this.tokenSpan(t) };
    }
    if (c.Identifier) {
      const t = c.Identifier[0] as IToken;
      return { kind: 'name', name: t.image, span: this.tokenSpan(t) };
    }
    // `(…)` is its inner expression spanning its parentheses too, so that a diagnostic about a partial result from
    // this operand on (`(0 - 2) ^ 31`) neither starts nor ends inside them.
    return { ...this.intExpr(child(n, 'intExpr')), span: this.nodeSpan(n) };
  }
}

function children(n: CstNode, key: string): CstNode[] {
  return (n.children[key] ?? []) as CstNode[];
}

function child(n: CstNode, key: string): CstNode {
  const found: CstElement | undefined = n.children[key]?.[0];
  invariant(found !== undefined && 'children' in found, `CST node ${n.name} lacks ${key}`);
  return found;
}

function token(n: CstNode, key: string): IToken {
  const found: CstElement | undefined = n.children[key]?.[0];
  invariant(found !== undefined && 'image' in found, `CST node ${n.name} lacks token ${key}`);
  return found;
}
