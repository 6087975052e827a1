import type { Command } from 'commander';
import type { PluginState } from '../kernel/kernel.js';
import type { CliContext } from './cli-context.js';

/** `aligntune plugins`: every discovered plugin, imported to check its health, with what it contributes. */
export function registerPluginsCommand(program: Command, context: CliContext): void {
  program
    .command('plugins')
    .description('list installed aligntune plugins and what they contribute')
    .option('--json', 'machine-readable output on stdout')
    .action(async (options: { json?: boolean }) => {
      const kernel = await context.projectKernel();
      await kernel.loadAll();
      const states = kernel.pluginStates().sort((a, b) => a.name.localeCompare(b.name));
      context.io.stdout(options.json ? `${JSON.stringify(states.map(toJson), null, 2)}\n` : formatTable(states));
    });
}

function toJson(state: PluginState): Record<string, unknown> {
  return { ...state, error: state.error?.message };
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
