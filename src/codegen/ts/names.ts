/**
 * TypeScript names for a module's maps. Each map gets a class (PascalCase of its name) and a
 * params type (`<Class>Params`), and is also exported under its own name, so that both
 * `import { Up }` and `import { up }` work. Names never collide with each other, with another
 * map's export name, or with the identifiers the generated file itself uses.
 */

export interface MapNames {
  readonly map: string;
  readonly className: string;
  readonly paramsType: string;
}

/** What the generated file imports from the runtime. */
export const RUNTIME_IMPORTS = { values: ['MapRunner', 'TypedMap', 'decodeModuleManifest'], types: ['Manifest', 'ManifestMap', 'TypedMapOptions'] } as const;

/** What the file of a module with block-sparse maps imports too, and passes to decodeModuleManifest: the runtime's block-sparse support. */
export const SPARSE_IMPORT = 'blockSparse';

/**
 * Identifiers the generated file declares, imports or uses from the global scope (emit-bindings.ts:
 * `JSON.parse` of the manifest, `Promise<…>` of create, `Object.getPrototypeOf` of its options, `Float32Array` of the
 * params types). A
 * class of one of these names would shadow it (`class JSON` broke `JSON.parse`).
 * test/codegen/bindings-global-names.test.ts scans a generated file for every one of them.
 */
const GENERATED_FILE_IDENTIFIERS = [...RUNTIME_IMPORTS.values, ...RUNTIME_IMPORTS.types, SPARSE_IMPORT, 'WGSL', 'MANIFEST', 'JSON', 'Promise', 'Object', 'Float32Array'];

export function mapNames(maps: readonly string[]): MapNames[] {
  // Map names are taken first: each one is an export name of its own map.
  const generated = new Set<string>(GENERATED_FILE_IDENTIFIERS);
  const taken = new Set<string>([...generated, ...maps]);
  const claim = (base: string, owner: string): string => {
    // A map whose name is already PascalCase names its class itself (unless the file needs that name).
    if (base === owner && !generated.has(owner)) return base;
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}${i}`;
    taken.add(name);
    return name;
  };
  return maps.map((map) => {
    const className = claim(pascalCase(map), map);
    return { map, className, paramsType: claim(`${className}Params`, map) };
  });
}

/** `up_proj` -> `UpProj`, `mixer` -> `Mixer`; a result that cannot start an identifier gets a `Map` prefix. */
export function pascalCase(name: string): string {
  const joined = name
    .split('_')
    .filter((part) => part.length > 0)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
  return /^[A-Za-z]/.test(joined) ? joined : `Map${joined}`;
}
