import { availableParallelism } from 'node:os';
import type { LaunchPlan, LaunchRequest } from '@aligntune/core/kernel';
import { findExecutable } from '@aligntune/core/util';

/** The rank Open MPI's mpirun (OMPI_COMM_WORLD_RANK) or a PMIx/PMI launcher such as srun gave this process. */
export function mpiLaunchedRank(): number | undefined {
  const value = process.env.OMPI_COMM_WORLD_RANK ?? process.env.PMIX_RANK ?? process.env.PMI_RANK;
  return value === undefined ? undefined : Number(value);
}

/**
 * `mpirun -np N <this command>` on this host. Several nodes need the cluster's host list, which only the user
 * knows: the error gives the command to run with a hostfile (or srun) instead.
 */
export function launchUnderMpirun(request: LaunchRequest): LaunchPlan {
  const args = ['-np', String(request.processes), '--bind-to', 'none'];
  // Open MPI refuses more ranks than cores, and refuses root, unless told
  if (request.processes > availableParallelism()) args.push('--oversubscribe');
  if (process.getuid?.() === 0) args.push('--allow-run-as-root');
  args.push(...request.argv);
  if (request.nodes > 1) {
    throw new Error(`${request.nodes} nodes need your cluster's host list: run \`mpirun -np ${request.processes} --hostfile hosts.txt --bind-to none ${request.argv.join(' ')}\` (or srun) yourself; see docs/distributed.md`);
  }
  const mpirun = findExecutable(process.env.ALIGNTUNE_MPIRUN ?? 'mpirun');
  if (!mpirun) throw new Error(`${process.env.ALIGNTUNE_MPIRUN ?? 'mpirun'} was not found; install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev) or launch the ranks yourself (docs/distributed.md)`);
  return { command: mpirun, args, env: {} };
}
