/**
 * File-level names: the `module` and `dtype` headers (at most one each), the module's name
 * (default: the file name without `.mon`, whatever characters it has: QA s13 Q20), duplicate
 * constant and map names, names that the generated code could not use, name lengths and the
 * number of maps.
 */
import type { ConstDecl, DtypeDecl, MapDecl, ModuleDecl, SourceFile } from './ast.js';
import { Code } from './codes.js';
import type { DiagnosticBag } from './diagnostics.js';
import { MAX_MAPS, MAX_NAME_LENGTH } from './limits.js';
import { invalidFileNameReason, invalidModuleNameReason, invalidNameReason } from './reserved-words.js';
import type { Dtype } from './structure.js';
import type { Span } from './span.js';
import { baseName } from '../util/base-name.js';

export interface FileHeader {
  readonly name: string;
  readonly dtype: Dtype;
  readonly consts: readonly ConstDecl[];
  /** Maps with a unique name, in source order. */
  readonly maps: readonly MapDecl[];
  /** More maps than MAX_MAPS (reported): the module is not checked further. */
  readonly tooManyMaps: boolean;
}

/** A name as quoted in a message: a very long one is clipped. */
export function quotedName(name: string): string {
  return `'${name.length > 40 ? `${name.slice(0, 40)}…` : name}'`;
}

/** Whether `name` is within MAX_NAME_LENGTH; reports it otherwise. */
function lengthOk(name: string, what: string, span: Span, bag: DiagnosticBag): boolean {
  if (name.length <= MAX_NAME_LENGTH) return true;
  bag.error(Code.NameTooLong, `${what} ${quotedName(name)} is ${name.length} characters long, more than the limit ${MAX_NAME_LENGTH}`, span);
  return false;
}

/** `dir/ffn.mon` -> `ffn`. */
export function defaultModuleName(file: string): string {
  const base = baseName(file);
  return base.endsWith('.mon') ? base.slice(0, -'.mon'.length) : base;
}

export function checkNames(ast: SourceFile, bag: DiagnosticBag): FileHeader {
  const modules = ast.statements.filter((s): s is ModuleDecl => s.kind === 'module');
  const dtypes = ast.statements.filter((s): s is DtypeDecl => s.kind === 'dtype');
  onlyOne(modules, 'module', bag);
  onlyOne(dtypes, 'dtype', bag);

  let name = defaultModuleName(ast.file);
  if (modules.length > 0) {
    name = modules[0].name.name;
    const why = invalidModuleNameReason(name);
    if (why) bag.error(Code.InvalidName, `${quotedName(name)} cannot name a module: ${why}`, modules[0].name.span);
    else lengthOk(name, 'the module name', modules[0].name.span, bag);
  } else {
    const why = invalidFileNameReason(name);
    const start = { offset: 0, line: 1, column: 1 };
    const at = { file: ast.file, start, end: start };
    if (why) bag.error(Code.InvalidName, `the module name ${quotedName(name)} (from the file name) is unusable: ${why}; add 'module NAME'`, at);
    else if (!lengthOk(name, 'the module name (from the file name)', at, bag)) name = name.slice(0, MAX_NAME_LENGTH);
  }

  let dtype: Dtype = 'f32';
  if (dtypes.length > 0) {
    const d = dtypes[0].name.name;
    if (d === 'f32' || d === 'f16') dtype = d;
    else bag.error(Code.UnknownDtype, `unknown dtype '${d}': use f32 or f16`, dtypes[0].name.span);
  }

  const seen = new Map<string, Span>();
  const consts: ConstDecl[] = [];
  const maps: MapDecl[] = [];
  let mapCount = 0;
  for (const s of ast.statements) {
    if (s.kind !== 'const' && s.kind !== 'map') continue;
    if (s.kind === 'map' && ++mapCount === MAX_MAPS + 1) {
      bag.error(Code.TooManyMaps, `this is map number ${MAX_MAPS + 1}: a module declares at most ${MAX_MAPS} maps`, s.name.span);
    }
    const first = seen.get(s.name.name);
    if (first) {
      bag.error(Code.DuplicateName, `${quotedName(s.name.name)} is already declared`, s.name.span, [{ message: 'first declared here', span: first }]);
      continue;
    }
    seen.set(s.name.name, s.name.span);
    lengthOk(s.name.name, s.kind === 'const' ? 'the constant name' : 'the map name', s.name.span, bag);
    if (s.kind === 'const') {
      consts.push(s);
      continue;
    }
    const why = invalidNameReason(s.name.name);
    if (why) bag.error(Code.InvalidName, `${quotedName(s.name.name)} cannot name a map: ${why}`, s.name.span);
    maps.push(s);
  }
  return { name, dtype, consts, maps, tooManyMaps: mapCount > MAX_MAPS };
}

function onlyOne(decls: readonly (ModuleDecl | DtypeDecl)[], what: string, bag: DiagnosticBag): void {
  for (const d of decls.slice(1)) {
    bag.error(Code.DuplicateHeader, `'${what}' is declared more than once`, d.span, [{ message: 'first declared here', span: decls[0].span }]);
  }
}
