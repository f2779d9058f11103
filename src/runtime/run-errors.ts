/**
 * How a run on the device fails, one way for every executor (the forward pass, the backward
 * pass, stagings, optimizer steps): every failure is a MoncError (docs/install.md, Errors).
 * After `destroy()` a run still in flight rejects with the destroyed runner's user error, whatever
 * WebGPU reported for it (an aborted mapping, a destroyed buffer in a submit); what an error scope
 * caught is kind 'wgsl' (a validation error) or 'device' (out of memory); a lost device is
 * already a MoncError of kind 'device'.
 */
import { deviceError, MoncError } from '../util/error.js';
import { userError } from './user-error.js';
import { memo } from './memo.js';

/** A device's loss: a promise every await on the device races, and the error once it is lost. */
interface Loss {
  readonly promise: Promise<never>;
  error?: MoncError;
}

const losses = new WeakMap<GPUDevice, Loss>();

function lossOf(device: GPUDevice): Loss {
  return memo(losses, device, () => {
    const l: Loss = {
      promise: device.lost.then((info) => {
        throw (l.error = deviceError(`WebGPU device lost (${info.reason}): ${info.message}`));
      }),
    };
    // Nobody may be racing it; the rejection reaches callers through the races and checks.
    l.promise.catch(() => undefined);
    return l;
  });
}

/**
 * Rejects (kind 'device') once `device` is lost, never resolves: race every await on the device
 * with it (a mapping, an error scope), which a lost device may otherwise abort with a bare
 * AbortError or never settle. Ask for it when a runner is made, so that `checkDevice` knows.
 */
export function deviceLost(device: GPUDevice): Promise<never> {
  return lossOf(device).promise;
}

/**
 * Starts watching `device` for its loss (deviceLost's record, made once), so that `checkDevice` throws the loss once it
 * has come: for callers that race nothing but check after failures (the tuner's candidates).
 */
export function watchDevice(device: GPUDevice): void {
  lossOf(device);
}

/** Throws the device-lost MoncError (kind 'device') when `device` is known to be lost: each call's first check. */
export function checkDevice(device: GPUDevice): void {
  const { error } = lossOf(device);
  if (error) throw error;
}

/** The error of any call on a runner (or its executors) after `destroy()`. */
export function runnerDestroyed(mapName: string): MoncError {
  return userError(`map '${mapName}': the runner was destroyed`);
}

/** What a run's error scopes caught (validation, then out of memory), as a MoncError; undefined when nothing. */
export function scopeError(mapName: string, during: string, [validation, oom]: readonly (GPUError | null)[]): MoncError | undefined {
  const error = validation ?? oom;
  // One line, as every MoncError's message: Dawn's messages end in a newline and go on with lines of context, each
  // starting ' - While ...', so dropping the newlines joins them with the text's own spaces.
  return error ? new MoncError(validation ? 'wgsl' : 'device', `map '${mapName}': WebGPU error ${during}: ${error.message.replace(/\n/g, '')}`) : undefined;
}

/** Runs calls one at a time, each after the one before it has settled (they share staging buffers). */
export type RunQueue = <T>(body: () => Promise<T>) => Promise<T>;

/** A RunQueue whose calls that fail once their executor is destroyed reject with `runnerDestroyed`. */
export function runQueue(mapName: string, destroyed: () => boolean): RunQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return (body) => {
    const result = tail.then(body).catch((e: unknown) => {
      throw destroyed() ? runnerDestroyed(mapName) : e;
    });
    tail = result.catch(() => undefined);
    return result;
  };
}
