import type { Kernel } from '../kernel/kernel.js';
import type { UnifiedLogger } from '../kernel/unified-logger.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface GlobalOptions {
  debug?: boolean;
  quiet?: boolean;
  project?: string;
}

/** What every command receives: output streams, the logger, and the global flags. */
export interface CliContext {
  io: CliIo;
  logger: UnifiedLogger;
  globals: () => GlobalOptions;
  /** A fresh kernel with the project's plugins discovered (the working directory's, or --project). */
  projectKernel: () => Promise<Kernel>;
  /** The code the process exits with when the command returns normally (a train stopped by a signal: 130/143). */
  setExitCode: (code: number) => void;
}
