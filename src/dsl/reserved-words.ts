/**
 * Names that a map or a declared module may not take: generated TypeScript and WGSL use map names
 * as (parts of) identifiers, so keywords and reserved words of either language, and the language's
 * own constructor and pattern names, are refused (a `module` line is held to the same rules). WGSL
 * also forbids names starting with `__`. A module name from the file name only names files.
 */
const typescript = `break case catch class const continue debugger default delete do else enum export extends false
finally for function if import in instanceof new null return super switch this throw true try typeof var void
while with implements interface let package private protected public static yield await async undefined
constructor prototype arguments eval`;

const wgsl = `alias break case const const_assert continue continuing default diagnostic discard else enable false fn
for if let loop override requires return struct switch true var while NULL Self abstract active alignas alignof
asm asm_fragment async attribute auto await become cast catch class co_await co_return co_yield coherent
column_major common compile compile_fragment concept const_cast consteval constexpr constinit crate debugger
decltype delete demote demote_to_helper do dynamic_cast enum explicit export extends extern external
fallthrough filter final finally friend from fxgroup get goto groupshared highp impl implements import inline
instanceof interface layout lowp macro macro_rules match mediump meta mod module move mut mutable namespace new
nil noexcept noinline nointerpolation non_coherent noncoherent noperspective null nullptr of operator package
packoffset partition pass patch pixelfragment precise precision premerge priv protected pub public readonly ref
regardless register reinterpret_cast require resource restrict self set shared sizeof smooth snorm static
static_assert static_cast std subroutine super target template this thread_local throw trait try type typedef
typeid typename typeof union unless unorm unsafe unsized use using varying virtual volatile wgsl where with
writeonly yield bool f16 f32 i32 u32 vec2 vec3 vec4 mat2x2 mat2x3 mat2x4 mat3x2 mat3x3 mat3x4 mat4x2 mat4x3
mat4x4 array atomic ptr sampler sampler_comparison`;

const language = `module dtype const map dense diag ks blockdiag transpose monarch butterfly lowrank sparse bias
flat_butterfly band random`;

export const reservedWords: ReadonlySet<string> = new Set(`${typescript} ${wgsl} ${language}`.split(/\s+/).filter(Boolean));

/**
 * Device names Windows reserves whatever the extension and case (`com1.ts` is a serial port,
 * `nul.json` the null device): a module so named could not have its files written there. Its list ("Naming Files,
 * Paths, and Namespaces") has COM0 to COM9 and LPT0 to LPT9 (QA1 s21 Q07), and superscripts ¹ ² ³, which no declared
 * name (an identifier) holds, nor the spaces and dots Windows drops or reads past (`nul `, `con.txt`: Q04).
 */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

/**
 * Why `name` cannot name a module declared with `module NAME` (its generated files take its name), or undefined when it
 * can. A declared name is refused as a Windows device on every OS, so that a spec is valid or not wherever it is built:
 * its file (`ffn.mon`) may be on Windows, where `con.ts` could not be written.
 */
export function invalidModuleNameReason(name: string): string | undefined {
  if (WINDOWS_DEVICE.test(name)) return `Windows reserves it for a device, so its generated files (${name}.ts, ${name}.wgsl, ${name}.json) could not be written there`;
  return invalidFileNameReason(name) ?? invalidNameReason(name);
}

/**
 * Why a module name taken from the spec's file name cannot name its generated files, or undefined.
 * A module's name is no identifier in anything monc generates (it names the files, and appears in
 * comments and JSON strings inside them), so the name of any file (`monarch.mon`, `my-ffn.mon`,
 * mktemp's `tmp.AbC123.mon`) will do, but an empty one and one with a backslash. A Windows device name
 * will do too (SPEC §3: the default is the file name without .mon; session 25): `con.mon`'s files `con.ts`,
 * `con.wgsl`, `con.json` have what Windows reads of a name (before the first dot) in common with it, so they can be
 * written wherever the spec file could be.
 */
export function invalidFileNameReason(name: string): string | undefined {
  if (name === '') return 'it is empty (the file is named .mon)';
  // A POSIX file name may hold `\` (baseName keeps it there), which Windows paths and URLs read as `/`: the files would not be found.
  if (name.includes('\\')) return `it has a backslash, which Windows and URLs read as a directory separator, so its generated files (${name}.ts, ${name}.wgsl, ${name}.json) could not be found by that name there`;
  return undefined;
}

/** Why `name` cannot name a module or a map, or undefined when it can. */
export function invalidNameReason(name: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return 'it is not an identifier (letters, digits and _, not starting with a digit)';
  if (name === '_' || name.startsWith('__')) return "names '_' and those starting with '__' are reserved in WGSL";
  if (reservedWords.has(name)) return 'it is a reserved word of TypeScript, WGSL or the .mon language';
  // An ES module that exports `then` is a thenable: `await import()` of it would call that export.
  if (name === 'then') return "a module exporting 'then' cannot be imported with `await import()`";
  return undefined;
}
