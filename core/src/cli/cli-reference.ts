import { Help, type Argument, type Command, type Option } from 'commander';
import { anchor, cell, code, generatedNotice, table } from '../config/markdown.js';
import { ExitCode } from './exit-codes.js';

/**
 * The CLI reference (docs/reference/cli.md), rendered by walking the commander program: every command, its
 * arguments and options with their descriptions and defaults. Commands added later appear without changes here.
 */
export function renderCliReference(program: Command): string {
  const help = new Help();
  const commands = descendants(program, help);
  return `${[
    '# CLI reference',
    generatedNotice('the commander program (core/src/cli/)'),
    intro(program, help),
    '## Global options',
    'Accepted before or after the command (`aligntune --debug train ...`).',
    optionTable(program),
    '## Commands',
    table(['command', 'description'], commands.map((cmd) => [`[${code(commandPath(cmd))}](#${anchor(commandPath(cmd))})`, cell(cmd.description())])),
    ...commands.map((cmd) => renderCommand(cmd, help)),
  ].join('\n\n')}\n`;
}

function intro(program: Command, help: Help): string {
  return `${cell(program.description())}

\`\`\`
${help.commandUsage(program).replace('[options]', '[global options]')}
\`\`\`

- Every command also takes \`-h, --help\`.
- Exit codes: ${ExitCode.ok} success; ${ExitCode.usage} bad usage, config, data or plugin (nothing was run; the message on stderr names
  the field, file or plugin, and \`--debug\` adds the stack trace); ${ExitCode.runtime} a run that started and failed.
- stdout carries only machine output (\`--json\`, \`--print\`, scores); logs and progress go to stderr.`;
}

/** Every command below `cmd`, depth first in registration order, without commander's implicit `help`. */
function descendants(cmd: Command, help: Help): Command[] {
  const children = help.visibleCommands(cmd).filter((child) => cmd.commands.includes(child));
  return children.flatMap((child) => [child, ...descendants(child, help)]);
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let at: Command | null = cmd; at; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

function renderCommand(cmd: Command, help: Help): string {
  const parts = [`## ${code(commandPath(cmd))}`, cell(cmd.description()), `\`\`\`\n${help.commandUsage(cmd)}\n\`\`\``];
  if (cmd.aliases().length > 0) parts.push(`Aliases: ${cmd.aliases().map(code).join(', ')}.`);
  if (cmd.registeredArguments.length > 0) parts.push(argumentTable(cmd.registeredArguments));
  if (visibleOptions(cmd).length > 0) parts.push(optionTable(cmd));
  const subcommands = help.visibleCommands(cmd).filter((child) => cmd.commands.includes(child));
  if (subcommands.length > 0) parts.push(`Subcommands: ${subcommands.map((c) => `[${code(c.name())}](#${anchor(commandPath(c))})`).join(', ')}.`);
  return parts.join('\n\n');
}

function argumentTable(args: readonly Argument[]): string {
  const rows = args.map((arg) => [
    code(argumentTerm(arg)),
    cell(withChoices(arg.description, arg.argChoices)),
    arg.required ? '**required**' : defaultText(arg.defaultValue, arg.defaultValueDescription),
  ]);
  return table(['argument', 'description', 'default'], rows);
}

function argumentTerm(arg: Argument): string {
  const name = `${arg.name()}${arg.variadic ? '...' : ''}`;
  return arg.required ? `<${name}>` : `[${name}]`;
}

/** Registered options only: commander's implicit `-h, --help` is mentioned once in the intro. */
function visibleOptions(cmd: Command): Option[] {
  return cmd.options.filter((option) => !option.hidden);
}

function optionTable(cmd: Command): string {
  const rows = visibleOptions(cmd).map((option) => [
    code(option.flags),
    cell(withChoices(option.description, option.argChoices)),
    option.mandatory ? '**required**' : defaultText(option.defaultValue, option.defaultValueDescription),
  ]);
  return table(['option', 'description', 'default'], rows);
}

function withChoices(description: string, choices: readonly string[] | undefined): string {
  return choices?.length ? `${description} (one of ${choices.map(code).join(', ')})` : description;
}

/** An empty list is the starting value of a repeatable option, not a default worth showing. */
function defaultText(value: unknown, description: string | undefined): string {
  if (description !== undefined) return cell(description);
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return '';
  return cell(code(JSON.stringify(value)));
}
