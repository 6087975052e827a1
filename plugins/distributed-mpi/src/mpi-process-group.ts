import { ConfigValidationError } from '@aligntune/core/config';
import type { CollectiveBuffer, ProcessGroup, ProcessGroupInit, ReduceOp } from '@aligntune/core/engine';
import { DistributedBackend } from '@aligntune/core/kernel';
import { callAsync, check, datatype, loadMpi, MPI_THREAD_MULTIPLE, waitAll, type MpiLibrary } from './mpi-library.js';
import { launchUnderMpirun, mpiLaunchedRank } from './mpirun-launch.js';

const LAUNCH = { launchedRank: mpiLaunchedRank, launch: launchUnderMpirun };

/**
 * Data parallelism on Open MPI (libmpi through koffi): every collective posts one non-blocking MPI operation per
 * buffer, in place, and waits for them all on koffi's worker thread. The buffers are the gradients' own memory
 * (host tensors, or a resident tensor's host memory), never a copy. `ddp`, `deepspeed` and `fsdp` share it: what
 * differs is how the trainer uses the collectives (allreduce, or reduce to each shard's owner then broadcast).
 */
@DistributedBackend('ddp', { description: 'data parallel over Open MPI: one gradient allreduce per step (mpirun -np N)', ...LAUNCH })
export class MpiProcessGroup implements ProcessGroup {
  readonly id: string = 'ddp';
  rank = 0;
  localRank = 0;
  worldSize = 1;
  /** ddp: gradients allreduced, optimizer state replicated. */
  zeroStage: 0 | 1 | 2 = 0;
  notice?: string;
  private mpi?: MpiLibrary;

  async init(options: ProcessGroupInit): Promise<void> {
    this.configure(options.settings ?? {});
    const mpi = (this.mpi = loadMpi());
    const initialised = [0];
    check(mpi.fn.Initialized(initialised), 'Initialized');
    if (!initialised[0]) {
      const provided = [0];
      check(mpi.fn.Init_thread(null, null, MPI_THREAD_MULTIPLE, provided), 'Init_thread');
    }
    const rank = [0];
    const size = [0];
    check(mpi.fn.Comm_rank(mpi.handles.world, rank), 'Comm_rank');
    check(mpi.fn.Comm_size(mpi.handles.world, size), 'Comm_size');
    this.rank = rank[0]!;
    this.worldSize = size[0]!;
    this.localRank = Number(process.env.OMPI_COMM_WORLD_LOCAL_RANK ?? 0);
    const asked = options.nodes * options.processesPerNode;
    if (asked !== this.worldSize) {
      throw new ConfigValidationError([
        {
          path: 'distributed.gpus_per_node',
          message: `distributed.nodes × distributed.gpus_per_node = ${options.nodes} × ${options.processesPerNode} = ${asked} processes, but mpirun started ${this.worldSize}; launch with mpirun -np ${asked} or change the config`,
        },
      ]);
    }
  }

  /** What a subclass reads from the `distributed:` section (ddp reads nothing more). */
  protected configure(settings: Readonly<Record<string, unknown>>): void {
    void settings;
  }

  async allReduce(buffers: CollectiveBuffer[], op: ReduceOp): Promise<void> {
    const mpi = this.ready();
    const requests = buffers.map((b) => this.post('Iallreduce', mpi.handles.inPlace, b, b.length, datatype(mpi, b), mpi.handles.sum, mpi.handles.world));
    await waitAll(mpi, requests);
    if (op === 'mean') for (const b of buffers) for (let i = 0; i < b.length; i++) b[i]! /= this.worldSize;
  }

  async reduce(buffers: CollectiveBuffer[], root: number): Promise<void> {
    const mpi = this.ready();
    // the root reduces in place; the others only send (their receive buffer is ignored)
    const requests = buffers.map((b) => (this.rank === root ? this.post('Ireduce', mpi.handles.inPlace, b, b.length, datatype(mpi, b), mpi.handles.sum, root, mpi.handles.world) : this.post('Ireduce', b, null, b.length, datatype(mpi, b), mpi.handles.sum, root, mpi.handles.world)));
    await waitAll(mpi, requests);
  }

  async broadcast(buffers: CollectiveBuffer[], root: number): Promise<void> {
    const mpi = this.ready();
    await waitAll(mpi, buffers.map((b) => this.post('Ibcast', b, b.length, datatype(mpi, b), root, mpi.handles.world)));
  }

  async barrier(): Promise<void> {
    const mpi = this.ready();
    await callAsync(mpi.fn.Barrier, 'Barrier', mpi.handles.world);
  }

  abort(code: number): never {
    const mpi = this.ready();
    mpi.fn.Abort(mpi.handles.world, code);
    process.exit(code); // not reached: MPI_Abort ends every rank
  }

  async destroy(): Promise<void> {
    const mpi = this.mpi;
    if (!mpi) return;
    this.mpi = undefined;
    const finalized = [0];
    check(mpi.fn.Finalized(finalized), 'Finalized');
    if (!finalized[0]) check(mpi.fn.Finalize(), 'Finalize');
  }

  private post(call: 'Iallreduce' | 'Ireduce' | 'Ibcast', ...args: unknown[]): unknown {
    const request: unknown[] = [null];
    check(this.mpi!.fn[call](...args, request), call);
    return request[0];
  }

  private ready(): MpiLibrary {
    if (!this.mpi) throw new Error(`distributed backend "${this.id}": collective called before init()`);
    return this.mpi;
  }
}

/** `deepspeed`: ZeRO stage 1/2 (distributed.deepspeed_config.zero_optimization.stage) on the same collectives. */
@DistributedBackend('deepspeed', { description: 'ZeRO stage 1/2 over Open MPI: optimizer state (stage 1) and gradients (stage 2) sharded across ranks', configKeys: ['deepspeed_config'], ...LAUNCH })
export class MpiDeepSpeedGroup extends MpiProcessGroup {
  override readonly id: string = 'deepspeed';

  /** deepspeed_config.zero_optimization.stage (core's validation admits 1 and 2), default 2. */
  protected override configure(settings: Readonly<Record<string, unknown>>): void {
    const deepspeed = settings.deepspeed_config as { zero_optimization?: { stage?: 1 | 2 } } | undefined;
    this.zeroStage = deepspeed?.zero_optimization?.stage ?? 2;
  }
}

/** `fsdp`: runs as ZeRO stage 2 (whole-step graphs gather no parameters per layer); validation logs the mapping. */
@DistributedBackend('fsdp', { description: 'runs as ZeRO stage 2 over Open MPI (sharded optimizer state and gradients; parameters are not sharded)', ...LAUNCH })
export class MpiFsdpGroup extends MpiProcessGroup {
  override readonly id: string = 'fsdp';
  override zeroStage = 2 as const;
  override notice =
    'distributed.backend fsdp runs as ZeRO stage 2 (optimizer state and gradients sharded across ranks, parameters replicated): whole-step graphs cannot gather parameters layer by layer; see docs/distributed.md';
}
