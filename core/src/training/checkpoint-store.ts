import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withDataOnRead } from '../engine/data-on-read.js';
import type { HostTensor } from '../engine/graph-executor.js';
import type { OptimizerStateSnapshot } from '../engine/optim/param-store.js';
import type { PolicyModel } from '../models/roles/policy-model.js';
import { readSafetensors, writeSafetensors } from '../models/safetensors.js';
import type { StoredTensor } from '../models/safetensors-dtype.js';
import { writeDirAtomic } from './atomic-dir.js';
import { OutputDirError } from './output-dir-error.js';
import type { OutputLayout } from './output-layout.js';
import { TRAINER_STATE_VERSION, type TrainerState } from './trainer-state.js';

export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const TRAINER_STATE_FILE = 'trainer_state.json';

export interface CheckpointContents {
  policy: PolicyModel;
  optimizer: OptimizerStateSnapshot;
  state: TrainerState;
  /** Writes an algorithm's extra files (PPO's value model) into the directory being written. */
  extras?: (dir: string) => Promise<void>;
}

/**
 * A checkpoint is a Hugging Face model directory (loadable as a model on its own) plus
 * `optimizer.safetensors` (`<param>::<slot>` tensors) and `trainer_state.json`. It is written atomically.
 */
export async function saveCheckpoint(dir: string, contents: CheckpointContents): Promise<void> {
  await writeDirAtomic(dir, async (tmp) => {
    await contents.policy.save(tmp);
    await writeSafetensors(join(tmp, OPTIMIZER_FILE), storedTensors(contents.optimizer.tensors), {
      metadata: { optimizer: contents.optimizer.optimizer, step: String(contents.optimizer.step) },
    });
    await writeFile(join(tmp, TRAINER_STATE_FILE), `${JSON.stringify(contents.state, null, 2)}\n`);
    await contents.extras?.(tmp);
  });
}

export async function loadCheckpointState(dir: string): Promise<{ optimizer: OptimizerStateSnapshot; state: TrainerState }> {
  for (const file of [OPTIMIZER_FILE, TRAINER_STATE_FILE]) {
    if (!existsSync(join(dir, file))) throw new OutputDirError(`train.resume_from_checkpoint: ${dir} is not a training checkpoint (no ${file})`);
  }
  const state = JSON.parse(await readFile(join(dir, TRAINER_STATE_FILE), 'utf8')) as TrainerState;
  if (state.version !== TRAINER_STATE_VERSION) throw new Error(`${dir}: trainer state version ${state.version}, this aligntune reads ${TRAINER_STATE_VERSION}`);
  const { tensors, metadata } = await readSafetensors(join(dir, OPTIMIZER_FILE));
  const optimizer: OptimizerStateSnapshot = {
    optimizer: metadata?.optimizer ?? '',
    step: Number(metadata?.step ?? state.global_step),
    tensors: Object.fromEntries([...tensors].map(([name, t]) => [name, hostOf(t)])),
  };
  return { optimizer, state };
}

/** `latest` → the newest complete checkpoint under the output dir; anything else is a path. Neither found is the user's to fix. */
export function resolveResumePath(spec: string, layout: OutputLayout): string {
  if (spec !== 'latest') {
    if (!existsSync(spec)) throw new OutputDirError(`train.resume_from_checkpoint: ${spec} does not exist`);
    return spec;
  }
  const latest = layout.latestCheckpoint();
  if (!latest) {
    throw new OutputDirError(
      `train.resume_from_checkpoint: latest: no checkpoint to resume in ${layout.root} (nothing under ${layout.checkpoints}); ` +
        'remove the setting to start a new run, or give a checkpoint directory',
    );
  }
  return latest;
}

/** Deletes the oldest checkpoints beyond `limit` (never the one just written, which is the newest). */
export async function pruneCheckpoints(layout: OutputLayout, limit: number | null | undefined): Promise<string[]> {
  if (!limit) return [];
  const all = layout.listCheckpoints();
  const doomed = all.slice(0, Math.max(0, all.length - limit)).map((c) => c.dir);
  for (const dir of doomed) await rm(dir, { recursive: true, force: true });
  return doomed;
}

function storedTensors(tensors: Readonly<Record<string, HostTensor>>): Record<string, StoredTensor> {
  const out: Record<string, StoredTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new Error(`optimizer state ${name}: unsupported dtype ${t.dtype}`);
    // `data` passed through unread: a resident run's state is read out one tensor at a time as it is written
    out[name] = withDataOnRead({ dtype: t.dtype === 'float32' ? 'F32' : 'F64', shape: t.dims } as const, () => t.data as Float32Array | Float64Array);
  }
  return out;
}

function hostOf(t: StoredTensor): HostTensor {
  if (t.dtype !== 'F32' && t.dtype !== 'F64') throw new Error(`optimizer state: unexpected dtype ${t.dtype}`);
  return { dtype: t.dtype === 'F32' ? 'float32' : 'float64', dims: [...t.shape], data: t.data as Float32Array | Float64Array };
}
