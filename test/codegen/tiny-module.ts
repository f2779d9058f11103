/**
 * Test support: a small module with every kind of map the bindings must type and run (rectangular,
 * non-power-of-two, sums with bias, sparse, chains through weight-tied references), and the
 * literal facts the type tests hold the generated file to.
 */
export const TINY_SOURCE = `module tiny
const d = 16
map up    : d -> 32 = monarch(nblocks: 4)
map mixer : d -> d = butterfly(radix: 2)
map adapt : d -> d = lowrank(rank: 3) + bias()
map pf    : d -> d = sparse(block: 4, pattern: flat_butterfly(factors: 2)) + lowrank(rank: 2)
map chain : d -> d = adapt @ mixer
map deep  : 27 -> 27 = monarch(order: 3, radix: 3)
`;

/** monarch(nblocks: 4) from 16 to 32: p = 4, s = 8, q = r = p. */
export const UP_SHAPES = { 'up.blkdiag1': [4, 4, 4], 'up.blkdiag2': [4, 8, 4] } as const;
