/**
 * What a `@DistributedBackend(id)` class implements: the collective operations a data-parallel trainer
 * needs. `single` (one process) is built in; ddp/fsdp-style backends on MPI or NCCL fill in the same calls.
 */
export type ReduceOp = 'sum' | 'mean';

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
  readonly localRank: number;
  readonly worldSize: number;
  init(options: ProcessGroupInit): Promise<void>;
  /** Reduces each buffer across ranks in place (gradients after backward). */
  allReduce(buffers: Float32Array[], op: ReduceOp): Promise<void>;
  /** Overwrites each buffer with rank `root`'s values (weights at start and after resume). */
  broadcast(buffers: Float32Array[], root: number): Promise<void>;
  /** Waits until every rank arrives. */
  barrier(): Promise<void>;
  destroy(): Promise<void>;
}
