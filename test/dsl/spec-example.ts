/** The example file of SPEC §3, verbatim. */
export const specExample = `# comment (also // comment)
module ffn                      # optional; default: the file name without .mon
dtype f32                       # f32 (default) or f16: storage type of params and activations
const d = 1024                  # integer constants; + - * / (exact division) ^ and parentheses
const h = 4 * d

map up    : d -> h = monarch(nblocks: 4)
map down  : h -> d = monarch(nblocks: 4) + bias()
map mixer : d -> d = butterfly(radix: 2)
map deep  : 4096 -> 4096 = monarch(order: 3)              # radix 16: 16^3 = 4096
map adapt : d -> d = lowrank(rank: 16)
map pf    : d -> d = sparse(block: 32, pattern: flat_butterfly(factors: 2)) + lowrank(rank: 32)
map chain : d -> d = down @ up                            # composition: up first, then down
map raw   : 1024 -> 1024 = transpose(32, 32) @ blockdiag(nblocks: 32) @ transpose(32, 32) @ blockdiag(nblocks: 32)
`;
