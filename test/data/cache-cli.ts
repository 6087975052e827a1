import { Command, CommanderError } from 'commander';
import { UnifiedLogger } from '@aligntune/core';
import { registerCacheCommand } from '../../core/src/cli/cache-command.js';
import { exitCodeFor } from '../../core/src/cli/exit-codes.js';

/**
 * Runs `aligntune cache ...` through registerCacheCommand on a program of its own (the lead wires the
 * command into run-cli.ts), with the same exit codes: 0 ok, 2 usage, 1 failure.
 */
export async function cacheCli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t) };
  const program = new Command('aligntune').exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  const logger = new UnifiedLogger({ console: false });
  registerCacheCommand(program, { io, logger, globals: () => ({}) });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    if (!(error instanceof CommanderError)) stderr += `error: ${(error as Error).message}\n`;
    return { code: error instanceof CommanderError ? (error.exitCode === 0 ? 0 : 2) : exitCodeFor(error), stdout, stderr };
  } finally {
    await logger.close();
  }
}
