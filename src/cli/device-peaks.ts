/**
 * Peak memory bandwidth and FP32 (non-tensor-core) throughput of GPUs `monc bench` knows, for
 * its "% of floor" figures. Vendor datasheet numbers (boost clocks):
 *  - H100 SXM5 / PCIe / NVL: NVIDIA H100 Tensor Core GPU datasheet,
 *    https://www.nvidia.com/en-us/data-center/h100/ (FP32 67 / 51 / 60 TFLOPS; 3.35 / 2.0 / 3.9 TB/s).
 *  - H200 SXM / NVL: NVIDIA H200 datasheet, https://www.nvidia.com/en-us/data-center/h200/
 *    (FP32 67 / 60 TFLOPS; 4.8 TB/s).
 *  - A100 80GB SXM / 80GB PCIe / 40GB: NVIDIA A100 datasheet,
 *    https://www.nvidia.com/en-us/data-center/a100/ (FP32 19.5 TFLOPS; 2.039 / 1.935 / 1.555 TB/s).
 * Matched on the adapter's device name as Dawn reports it (e.g. `nvidia-h100-80gb-hbm3`).
 */

export interface DevicePeaks {
  readonly name: string;
  readonly memoryBytesPerS: number;
  readonly fp32FlopsPerS: number;
}

const T = 1e12;

/** First match wins: the more specific names come first. */
const KNOWN: readonly (readonly [RegExp, DevicePeaks])[] = [
  [/h100.*nvl/, { name: 'NVIDIA H100 NVL', memoryBytesPerS: 3.9 * T, fp32FlopsPerS: 60 * T }],
  [/h100.*pcie/, { name: 'NVIDIA H100 PCIe', memoryBytesPerS: 2.0 * T, fp32FlopsPerS: 51 * T }],
  [/h100/, { name: 'NVIDIA H100 SXM', memoryBytesPerS: 3.35 * T, fp32FlopsPerS: 67 * T }],
  [/h200.*nvl/, { name: 'NVIDIA H200 NVL', memoryBytesPerS: 4.8 * T, fp32FlopsPerS: 60 * T }],
  [/h200/, { name: 'NVIDIA H200 SXM', memoryBytesPerS: 4.8 * T, fp32FlopsPerS: 67 * T }],
  [/a100.*80gb.*pcie|a100.*pcie.*80gb/, { name: 'NVIDIA A100 80GB PCIe', memoryBytesPerS: 1.935 * T, fp32FlopsPerS: 19.5 * T }],
  [/a100.*80gb/, { name: 'NVIDIA A100 80GB SXM', memoryBytesPerS: 2.039 * T, fp32FlopsPerS: 19.5 * T }],
  [/a100/, { name: 'NVIDIA A100 40GB', memoryBytesPerS: 1.555 * T, fp32FlopsPerS: 19.5 * T }],
];

/** The peaks of the adapter's device, from its vendor and device name; undefined when unknown. */
export function devicePeaks(vendor: string, device: string): DevicePeaks | undefined {
  const name = `${vendor} ${device}`.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return KNOWN.find(([pattern]) => pattern.test(name))?.[1];
}
