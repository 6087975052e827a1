/**
 * A run refused because of its output directory or the checkpoint it names (a run already there, nothing to
 * resume): the user's to fix by changing the config or the command line, so the CLI exits with code 2.
 */
export class OutputDirError extends Error {
  override readonly name = 'OutputDirError';
  /** Read by the CLI's exit-code mapping. */
  readonly exitCode = 2;
}
