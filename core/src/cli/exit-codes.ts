import { CommanderError } from 'commander';
import { ConfigValidationError } from '../config/config-validation-error.js';
import { DuplicateContributionError } from '../kernel/contribution-registry.js';
import { UnknownContributionError } from '../kernel/kernel.js';
import { PluginError } from '../kernel/plugin-manifest.js';

export const ExitCode = {
  ok: 0,
  /** A run started and failed. */
  runtime: 1,
  /** Bad usage, config, spec or plugin: nothing was run. */
  usage: 2,
} as const;

/** An error the user can fix by changing the command line, config, data or installed plugins. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function isUsageError(error: unknown): boolean {
  return (
    error instanceof UsageError ||
    error instanceof ConfigValidationError ||
    error instanceof PluginError ||
    error instanceof UnknownContributionError ||
    error instanceof DuplicateContributionError ||
    (error instanceof CommanderError && error.exitCode !== 0) ||
    (error as { exitCode?: number } | null)?.exitCode === ExitCode.usage
  );
}

export function exitCodeFor(error: unknown): number {
  return isUsageError(error) ? ExitCode.usage : ExitCode.runtime;
}
