/**
 * The compiler's version, written into every manifest and generated file. Kept as a plain
 * constant (not a JSON import of package.json) so it is browser-safe and bundles to a few bytes;
 * test/codegen/version.test.ts fails when it drifts from package.json.
 */
export const MONC_VERSION = '0.1.0';
