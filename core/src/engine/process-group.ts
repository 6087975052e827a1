/**
 * What a `@DistributedBackend(id)` class implements: the collective operations a data-parallel trainer
 * needs. `single` (one process) is built in; MPI-based ddp/deepspeed/fsdp fill in the same calls, and an
 * NCCL group would too: buffers are host views today (a resident tensor's own host memory where it has one,
 * so nothing is copied through JS); a device-memory buffer kind is the one addition NCCL needs.
 */
export type ReduceOp = 'sum' | 'mean';

/** Memory a collective reads and writes in place: float32 gradients and weights, float64 counts and metrics. */
export type CollectiveBuffer = Float32Array | Float64Array;

export interface ProcessGroupInit {
  /** Number of nodes and processes per node the config asked for. */
  nodes: number;
  processesPerNode: number;
  /** Seed shared by every rank, so data order and initialisation agree. */
  seed: number;
}

export interface ProcessGroup {
  readonly id: string;
  /** This process's rank in [0, worldSize). */
  readonly rank: number;
  /** Its rank among the processes of its node: the device it drives (one rank per GPU). */
  readonly localRank: number;
  readonly worldSize: number;
  init(options: ProcessGroupInit): Promise<void>;
  /** Reduces each buffer across ranks in place (gradients after backward). */
  allReduce(buffers: CollectiveBuffer[], op: ReduceOp): Promise<void>;
  /** Sums each buffer into rank `root`'s copy in place; the other ranks' buffers are left as they were (ZeRO's reduce-scatter, shard by shard). */
  reduce(buffers: CollectiveBuffer[], root: number): Promise<void>;
  /** Overwrites each buffer with rank `root`'s values (weights at start and after resume, a shard's owner after its update). */
  broadcast(buffers: CollectiveBuffer[], root: number): Promise<void>;
  /** Waits until every rank arrives. */
  barrier(): Promise<void>;
  /**
   * Ends every rank now with exit code `code`: a rank that failed must not leave the others waiting in a
   * collective. The caller logs why first. A single process just exits.
   */
  abort(code: number): never;
  destroy(): Promise<void>;
}
