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
  /** The `distributed:` section as configured, for a backend's own keys (deepspeed_config). */
  settings?: Readonly<Record<string, unknown>>;
}

export interface ProcessGroup {
  readonly id: string;
  /** This process's rank in [0, worldSize). */
  readonly rank: number;
  /** Its rank among the processes of its node: the device it drives (one rank per GPU). */
  readonly localRank: number;
  readonly worldSize: number;
  /**
   * How the trainer shares the optimizer among several ranks (ZeRO's stages): 0 or unset = replicated (ddp's
   * allreduce), 1 = each rank keeps and updates a shard of the optimizer state, 2 = also reduces each gradient
   * shard to its owner only. Known after init(); the backend reads it from its config.
   */
  readonly zeroStage?: 0 | 1 | 2;
  /** What the user should know about how the backend runs (fsdp mapped to ZeRO-2): logged as a warning on rank 0 after init(). */
  readonly notice?: string;
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
