import { ConfigValidationError } from '../config/config-validation-error.js';
import type { Precision } from '../config/model-config.js';
import type { MemorySaving, TrainingConfig } from '../config/training-config.js';
import type { UnifiedConfig } from '../config/unified-config.js';
import { resolveModelDir } from '../data/hub/resolve-model-dir.js';
import type { ComputeDtype, GraphExecutor } from '../engine/graph-executor.js';
import type { Kernel } from '../kernel/kernel.js';
import { rawModelConfig, recordedDtype, type StorageDtype } from '../models/save-dtype.js';
import { createComputeBackend } from './compute-backend.js';
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

/**
 * float16 loss scaling runs in the fused step (one run per optimizer update: the overflow check sits between the
 * backward and the update). Refuses a run whose step mode splits them: several processes, gradient accumulation, a
 * grouped update (`saving`; `auto` is decided later, from the parameters' size, and checked then).
 */
export function requireFusedStep(train: Pick<TrainingConfig, 'gradient_accumulation_steps'>, processes: number, saving: MemorySaving): void {
  const blocker = unfusedStepMode(train, processes, saving);
  if (blocker) throw fusedStepRefusal(blocker);
}

/**
 * requireFusedStep before the run starts (nothing written, no output directory claimed), for a run that would
 * scale its loss: its backend computes in float16 and the precision is fp16, or auto on a float16 checkpoint. The
 * backend is created (nothing compiled) only to read what it computes in.
 */
export async function refuseUnscalableStepMode(kernel: Kernel, config: UnifiedConfig): Promise<void> {
  const { model, train, distributed } = config;
  if (model.precision !== 'fp16' && model.precision !== 'auto') return;
  const blocker = unfusedStepMode(train, distributed.nodes * distributed.gpus_per_node, train.memory_saving);
  if (!blocker) return;
  // no backend that can run: the trainer says why, after the checks that come first (e.g. the algorithm's plugin)
  const executor = await createComputeBackend(kernel, config.compute).catch(() => undefined);
  if (!executor) return;
  const computeDtypes = executor.computeDtypes;
  await executor.dispose();
  if (!computeDtypes?.includes('float16')) return; // precision is storage-only there: nothing is scaled
  const startDtype = model.precision === 'auto' ? recordedDtype(await rawModelConfig(await resolveModelDir(model.sft_path ?? model.name_or_path))) : 'F32';
  if (mixedPrecision(model.precision, startDtype, { computeDtypes }).lossScaler) throw fusedStepRefusal(blocker);
}

function unfusedStepMode(train: Pick<TrainingConfig, 'gradient_accumulation_steps'>, processes: number, saving: MemorySaving): string | undefined {
  if (processes > 1) return 'several processes';
  if (train.gradient_accumulation_steps > 1) return 'train.gradient_accumulation_steps > 1';
  return saving !== 'off' && saving !== 'auto' ? `train.memory_saving ${saving}` : undefined;
}

function fusedStepRefusal(blocker: string): ConfigValidationError {
  return new ConfigValidationError([
    { path: 'model.precision', message: `fp16 mixed precision (dynamic loss scaling) runs one fused step per update; it is not built for ${blocker}: use precision bf16, or one process, gradient_accumulation_steps 1 and memory_saving off` },
  ]);
}
