import { availableParallelism } from 'node:os';

/** Set by `aligntune train` for the ranks it launches (cores / ranks per node), or by the user to choose. */
export const THREADS_PER_RANK_ENV = 'ALIGNTUNE_THREADS_PER_RANK';

/** Threads a compute backend uses inside one kernel: the rank's share of the host's cores, else all of them. */
export function computeThreads(): number {
  return Number(process.env[THREADS_PER_RANK_ENV]) || availableParallelism();
}
