import { Describe, NonEmptyStr, NonNegativeInt, Optional } from './field-rules.js';

/** The device kind of the host processor: the default `compute.device` (a device, not a backend id). */
export const HOST_DEVICE = 'cpu';

/**
 * `compute:` — where the engine's graphs run. Core names no backend: a compute backend plugin declares the
 * device it serves and a priority, and the run takes the highest-priority backend that can run here on the
 * requested device (docs/backends.md).
 */
export class ComputeConfig {
  @Describe('Compute backend id (`aligntune plugins` lists the installed ones and whether each can run here). Default: the highest-priority available backend of `device`.')
  @Optional()
  @NonEmptyStr()
  backend?: string;

  @Describe('Device kind the graphs run on, e.g. "cpu" or "cuda"; a backend that serves it must be installed. Default: the host CPU (or the device of `backend` when it is set).')
  @Optional()
  @NonEmptyStr()
  device?: string;

  @Describe('Which device of that kind (CUDA ordinal). Default 0; the host CPU is one device.')
  @NonNegativeInt()
  device_id = 0;
}
