import type { HostTensor } from '../engine/graph-executor.js';
import type { OptimizerStateSnapshot } from '../engine/optim/param-store.js';
import type { ProcessGroup } from '../engine/process-group.js';
import type { PolicyModel } from '../models/roles/policy-model.js';
import type { PublishDtypes, StorageDtype } from '../models/save-dtype.js';
import { writeDirAtomic } from './atomic-dir.js';
import { loadCheckpointState, pruneCheckpoints, saveCheckpoint } from './checkpoint-store.js';
import type { OutputLayout } from './output-layout.js';
import { OutputDirError } from './output-dir-error.js';
import type { TrainerState } from './trainer-state.js';

export interface CheckpointerParts {
  readonly layout: OutputLayout;
  readonly group: Pick<ProcessGroup, 'rank' | 'barrier'>;
  readonly policy: PolicyModel;
  /** The dtypes final/ is written in (train.save_dtype resolved; default float32); checkpoints keep float32 master weights so a resume is exact. */
  readonly publish?: PublishDtypes;
  /** train.save_total_limit: checkpoints kept (unset = all). */
  readonly saveTotalLimit?: number | null;
  /** Writes what the algorithm keeps beside the policy (PPO's value model) into a directory being written, in final/ with publish's weight dtype. */
  readonly saveExtras: (dir: string, params: Readonly<Record<string, HostTensor>>, dtype?: StorageDtype) => Promise<void>;
  readonly logger?: { info(message: string): void };
}

/**
 * Writes checkpoints (checkpoints/step-N: policy, optimizer moments, trainer_state.json, the algorithm's extras) and
 * final/, each atomically, on rank 0 after every rank reaches a barrier; prunes to save_total_limit; reads one back
 * for a resume. See docs/outputs.md.
 */
export class Checkpointer {
  constructor(private readonly parts: CheckpointerParts) {}

  /** The optimizer and trainer state of checkpoint `dir`; a checkpoint of another algorithm is refused. */
  static async load(dir: string, algo: string): Promise<{ optimizer: OptimizerStateSnapshot; state: TrainerState }> {
    const loaded = await loadCheckpointState(dir);
    if (loaded.state.algo !== algo) throw new OutputDirError(`train.resume_from_checkpoint: ${dir} is a checkpoint of a ${loaded.state.algo} run, not ${algo}`);
    return loaded;
  }

  async save(state: TrainerState, optimizer: OptimizerStateSnapshot, params: Readonly<Record<string, HostTensor>>): Promise<void> {
    const { layout, group, policy, logger } = this.parts;
    await group.barrier();
    if (group.rank !== 0) return;
    policy.absorb(params); // the session's weights (read out of the backend when resident) are what is saved
    const dir = layout.checkpoint(state.global_step);
    await saveCheckpoint(dir, { policy, optimizer, state, extras: (tmp) => this.parts.saveExtras(tmp, params) });
    const pruned = await pruneCheckpoints(layout, this.parts.saveTotalLimit);
    logger?.info(`saved checkpoint ${dir}${pruned.length ? ` (removed ${pruned.length} older)` : ''}`);
  }

  async saveFinal(params: Readonly<Record<string, HostTensor>>): Promise<void> {
    const { layout, group, policy, logger } = this.parts;
    await group.barrier();
    if (group.rank !== 0) return;
    policy.absorb(params);
    await writeDirAtomic(layout.final, async (tmp) => {
      await policy.save(tmp, this.parts.publish);
      await this.parts.saveExtras(tmp, params, this.parts.publish?.weights);
    });
    logger?.info(`saved the final model to ${layout.final}`);
  }
}
