import type { Command } from 'commander';
import type { PluginState } from '../kernel/kernel.js';
import { computeBackendStatuses, type ComputeBackendStatus } from '../training/compute-backend.js';
import type { CliContext } from './cli-context.js';

/**
 * `aligntune plugins`: every discovered plugin, imported to check its health, with what it contributes; then
 * each compute backend with the device it serves and whether it can run on this machine (and why not).
 */
export function registerPluginsCommand(program: Command, context: CliContext): void {
  program
    .command('plugins')
    .description('list installed aligntune plugins and what they contribute')
    .option('--json', 'machine-readable output on stdout')
    .action(async (options: { json?: boolean }) => {
      const kernel = await context.projectKernel();
      await kernel.loadAll();
      const states = kernel.pluginStates().sort((a, b) => a.name.localeCompare(b.name));
      const backends = await computeBackendStatuses(kernel);
      context.io.stdout(options.json ? `${JSON.stringify(states.map((state) => toJson(state, backends)), null, 2)}\n` : formatTable(states) + formatBackends(backends));
    });
}

/** A compute backend's contribution carries `device`, `available` and, when not, `unavailable` (the reason). */
function toJson(state: PluginState, backends: readonly ComputeBackendStatus[]): Record<string, unknown> {
  const contributions = state.contributions.map((contribution) => {
    const backend = contribution.kind === 'compute-backend' ? backends.find((b) => b.id === contribution.id) : undefined;
    return backend ? { ...contribution, device: backend.device, priority: backend.priority, available: backend.unavailable === undefined, unavailable: backend.unavailable } : contribution;
  });
  return { ...state, contributions, error: state.error?.message };
}

function formatBackends(backends: readonly ComputeBackendStatus[]): string {
  if (backends.length === 0) return '\nNo compute backend is installed: training and evaluation need one (a compute-backend plugin, see docs/backends.md).\n';
  const lines = backends.map((b) => {
    const where = `device ${b.device ?? '?'}, priority ${b.priority}`;
    return `    ${b.id.padEnd(16)} ${where.padEnd(24)} ${b.unavailable === undefined ? 'available' : `unavailable: ${b.unavailable}`}`;
  });
  return `\ncompute backends on this machine (compute.backend / --backend; default: the first available one of compute.device):\n${lines.join('\n')}\n`;
}

function formatTable(states: PluginState[]): string {
  if (states.length === 0) {
    return 'No aligntune plugins found. Install some (npm install @aligntune/plugin-...) or list them under `plugins:` in the config.\n';
  }
  const lines: string[] = [];
  for (const state of states) {
    const status = state.status === 'failed' ? 'FAILED' : state.status;
    lines.push(`${state.name}@${state.version ?? '?'}  [${status}]`);
    for (const { kind, id, description } of state.contributions) lines.push(`    ${kind.padEnd(20)} ${description ? `${id.padEnd(16)} ${description}` : id}`);
    if (state.error) lines.push(`    error: ${state.error.message}`);
    for (const warning of state.warnings) lines.push(`    warning: ${warning}`);
  }
  return `${lines.join('\n')}\n`;
}
