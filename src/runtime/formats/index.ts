export { FormatError } from './format-error.js';
export { f16ArrayToF32, f16BitsToF32, f32ArrayToF16Checked as f32ArrayToF16, f32ToF16Bits } from './f16.js';
export { isNpy, readNpy, writeNpy, type NpyArray, type NpyWriteDtype } from './npy.js';
export {
  readSafetensors,
  writeSafetensors,
  type SafetensorsDtype,
  type SafetensorsFile,
  type SafetensorsReadDtype,
  type SafetensorsTensor,
  type SafetensorsWriteDtype,
  type TensorToWrite,
} from './safetensors.js';
