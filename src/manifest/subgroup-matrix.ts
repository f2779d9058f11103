/**
 * How a manifest names a subgroup-matrix configuration (a kernel set's
 * `requires.subgroupMatrixConfigs`): `<componentType>-><resultComponentType> <M>x<N>x<K>`, e.g.
 * `f16->f32 16x16x16`, from the fields Dawn lists an adapter's configurations with
 * (GPUAdapterInfo.subgroupMatrixConfigs). One spelling for the compiler, which names the
 * configurations its kernels use, and the runtime, which names the adapter's to compare them.
 */
export interface SubgroupMatrixConfig {
  /** The left and right matrices' component type (`f16`, `f32`, `i8`, ...). */
  readonly componentType: string;
  readonly resultComponentType: string;
  /** The result's rows (the left matrix's too), its columns (the right's), the depth of one multiply. */
  readonly M: number;
  readonly N: number;
  readonly K: number;
}

export function subgroupMatrixConfigName(c: SubgroupMatrixConfig): string {
  return `${c.componentType}->${c.resultComponentType} ${c.M}x${c.N}x${c.K}`;
}
