/**
 * Specs the playground offers: a small side-by-side comparison of the structures (the default),
 * and the repository's example files, loaded as text so the playground always shows them as they are.
 */
const files = import.meta.glob<string>('../../*.mon', { query: '?raw', import: 'default', eager: true });

export const COMPARE = `# Four ways to structure a 256 x 256 layer: pick a map to see its structure,
# its cost against a dense layer, and how well it fits a matrix you upload (.npy).
module compare
const d = 256

map mon : d -> d = monarch(nblocks: 16)
map fly : d -> d = butterfly(radix: 2)
map low : d -> d = lowrank(rank: 16)
map pix : d -> d = sparse(block: 16, pattern: flat_butterfly(factors: 2)) + lowrank(rank: 8)
`;

export const EXAMPLES: ReadonlyMap<string, string> = new Map([
  ['compare.mon', COMPARE],
  ...Object.entries(files).map(([path, text]) => [path.slice(path.lastIndexOf('/') + 1), text] as const),
]);
