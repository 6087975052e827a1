import type { Precision } from '../config/model-config.js';
import type { ComputeDtype, GraphExecutor } from '../engine/graph-executor.js';
import type { StorageDtype } from '../models/save-dtype.js';
import { LossScaler } from './loss-scaler.js';

/** How a run's training graph computes: autocast to a 16-bit dtype (with loss scaling for float16), or float32. */
export interface MixedPrecision {
  readonly autocast?: ComputeDtype;
  readonly lossScaler?: LossScaler;
}

const COMPUTE_DTYPE: Readonly<Record<string, ComputeDtype>> = { bf16: 'bfloat16', fp16: 'float16', BF16: 'bfloat16', F16: 'float16' };

/**
 * `model.precision` on `executor`: mixed precision (float32 master weights, MatMuls in bf16/fp16, float16 with
 * dynamic loss scaling) where the backend declares it computes in that dtype (`computeDtypes`); on the others
 * (the CPU backends) precision stays storage-only and the graph computes in float32. `auto` is the start
 * checkpoint's dtype (`checkpointDtype`).
 */
export function mixedPrecision(precision: Precision, checkpointDtype: StorageDtype, executor: Pick<GraphExecutor, 'computeDtypes'>): MixedPrecision {
  const dtype = COMPUTE_DTYPE[precision === 'auto' ? checkpointDtype : precision];
  if (!dtype || !executor.computeDtypes?.includes(dtype)) return {};
  return { autocast: dtype, ...(dtype === 'float16' ? { lossScaler: new LossScaler() } : {}) };
}

/** The log line that says what mixed precision a run uses. */
export function describeMixedPrecision(mixed: MixedPrecision): string | undefined {
  if (!mixed.autocast) return undefined;
  const scaling = mixed.lossScaler ? `, dynamic loss scaling from ${mixed.lossScaler.scale}` : '';
  return `mixed precision: MatMuls in ${mixed.autocast}, float32 master weights, loss and softmax/norm statistics${scaling}`;
}
