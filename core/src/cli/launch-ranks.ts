import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { ConfigValidationError } from '../config/config-validation-error.js';
import type { UnifiedConfig } from '../config/unified-config.js';
import { THREADS_PER_RANK_ENV } from '../engine/compute-threads.js';
import type { DistributedBackendOptions, LaunchPlan } from '../kernel/contribution.js';
import type { Kernel } from '../kernel/kernel.js';
import { refuseUnreadKeys } from '../training/data-parallel-plan.js';
import { ExtensionPoints } from '../training/extension-points.js';

/** What `aligntune train` does about processes: run here (as `rank`), or start every rank with a launcher's command. */
export type RankStart = { readonly rank: number } | { readonly plan: LaunchPlan };

/**
 * One process for nodes × gpus_per_node = 1; else this process is a rank its launcher started (the backend reads
 * its rank from the environment), or the backend's launcher must start them all (mpirun -np N this command).
 * Refusals name distributed.backend and say what to install.
 */
export async function planRanks(kernel: Kernel, config: UnifiedConfig, argv: readonly string[]): Promise<RankStart> {
  const { backend, nodes, gpus_per_node: perNode } = config.distributed;
  const processes = nodes * perNode;
  if (processes === 1) return { rank: 0 };
  const declared = await kernel.declaredOptions<DistributedBackendOptions>(ExtensionPoints.distributedBackend.kind, backend);
  const refuse = (message: string) => new ConfigValidationError([{ path: 'distributed.backend', message }]);
  if ('failure' in declared) throw refuse(`"${backend}": its plugin does not load: ${declared.failure}`);
  refuseUnreadKeys(config, declared.options);
  const launched = declared.options.launchedRank?.();
  if (launched !== undefined) return { rank: launched };
  if (!declared.options.launch) throw refuse(`"${backend}" declares no launcher: start its ${processes} processes yourself`);
  // the ranks of one host share its cores, unless the user chose a thread count
  const threadsPerRank = Number(process.env[THREADS_PER_RANK_ENV]) || Math.max(1, Math.floor(availableParallelism() / perNode));
  try {
    const plan = declared.options.launch({ processes, nodes, argv });
    return { plan: { ...plan, env: { [THREADS_PER_RANK_ENV]: String(threadsPerRank), ...plan.env } } };
  } catch (error) {
    throw refuse(`"${backend}" with ${processes} processes: ${(error as Error).message}`);
  }
}

/** The launch command as a shell line, for users to run it themselves or through their cluster's launcher. */
export function formatLaunch(plan: LaunchPlan): string {
  const env = Object.entries(plan.env).map(([k, v]) => `${k}=${v}`);
  return [...env, plan.command, ...plan.args].map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Runs the launcher with this terminal; resolves with its exit code (a signal's shell code when it was killed). */
export function runLaunch(plan: LaunchPlan): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(plan.command, [...plan.args], { stdio: 'inherit', env: { ...process.env, ...plan.env } });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1)));
  });
}
