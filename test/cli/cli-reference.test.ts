import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { renderCliReference } from '../../core/src/cli/cli-reference.js';
import { CLI_REFERENCE_PATH, cliReference, documentedProgram } from '../../core/src/cli/write-docs.js';

function commandsOf(cmd: Command, path: string[] = []): Array<{ path: string; cmd: Command }> {
  return cmd.commands.flatMap((child) => {
    const childPath = [...path, child.name()];
    return [{ path: `aligntune ${childPath.join(' ')}`, cmd: child }, ...commandsOf(child, childPath)];
  });
}

describe('CLI reference (docs/reference/cli.md)', () => {
  const text = cliReference();

  it('the committed file is up to date', () => {
    expect(readFileSync(CLI_REFERENCE_PATH, 'utf8'), `${CLI_REFERENCE_PATH} is stale: run \`npm run docs\``).toBe(text);
  });

  it('documents every command of the program with its options', () => {
    const program = documentedProgram();
    const commands = commandsOf(program);
    expect(commands.map((c) => c.path)).toEqual(expect.arrayContaining(['aligntune train', 'aligntune validate', 'aligntune reward score']));
    for (const { path, cmd } of commands) {
      const section = text.split(`## \`${path}\`\n`)[1]?.split('\n## ')[0];
      expect(section, path).toBeDefined();
      for (const option of cmd.options) expect(section, `${path} ${option.flags}`).toContain(`| \`${option.flags}\` |`);
    }
    for (const option of program.options) expect(text).toContain(`| \`${option.flags}\` |`);
  });

  it('walks whatever the program has: arguments, required options, defaults, choices, nested commands', () => {
    const program = new Command('aligntune').description('root');
    const sync = program.command('logger').description('metric loggers').command('sync').description('upload a run | offline');
    sync.argument('<run-dir>', 'the run').argument('[more...]', 'other runs');
    sync.requiredOption('--to <id>', 'logger id').option('--retries <n>', 'attempts', '3');
    sync.addOption(new Option('--mode <m>', 'how').choices(['fast', 'safe']));
    const out = renderCliReference(program);
    expect(out).toContain('| [`aligntune logger sync`](#aligntune-logger-sync) | upload a run \\| offline |');
    expect(out).toContain('aligntune logger sync [options] <run-dir> [more...]');
    expect(out).toContain('| `<run-dir>` | the run | **required** |');
    expect(out).toContain('| `[more...]` | other runs |  |');
    expect(out).toContain('| `--to <id>` | logger id | **required** |');
    expect(out).toContain('| `--retries <n>` | attempts | `"3"` |');
    expect(out).toContain('| `--mode <m>` | how (one of `fast`, `safe`) |  |');
    expect(out).toContain('Subcommands: [`sync`](#aligntune-logger-sync).');
    expect(out).not.toContain('aligntune help');
  });
});
