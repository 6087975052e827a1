import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { UnifiedConfig } from '../config/unified-config.js';
import { toPlainTree } from '../config/to-plain.js';
import { OutputDirError } from './output-dir-error.js';
import { OutputLayout } from './output-layout.js';

export interface ClaimOptions {
  logger?: { warn(message: string): void };
  /** Files the run was set up from that the config does not name, by how they were given (`{ '--config': file }`). */
  inputs?: Readonly<Record<string, string>>;
}

/**
 * Makes `logging.output_dir` ready for a new run before anything is written there, so two runs never mix
 * (a 3-step final/ replacing a 400-step one, metrics.jsonl appended after a later step). A directory that
 * already holds a run is refused unless the run resumes it (`train.resume_from_checkpoint`) or
 * `logging.overwrite_output_dir` is set; then the whole directory is moved aside (one atomic rename) and
 * deleted. Called by the CLI before it opens the run log there, and by ContractTrainer.train(): once cleared the
 * directory holds no run, so the second call does nothing.
 */
export async function claimOutputDir(config: UnifiedConfig, { logger, inputs = {} }: ClaimOptions = {}): Promise<void> {
  const layout = new OutputLayout(config.logging.output_dir);
  const found = layout.runArtifacts();
  if (found.length === 0) return;
  const resume = config.train.resume_from_checkpoint;
  if (!config.logging.overwrite_output_dir) {
    if (resume) return; // resuming continues the run that is there
    throw new OutputDirError(
      `${layout.root} already holds a run (${found.join(', ')}); a new run would mix with it. ` +
        'To continue it, set train.resume_from_checkpoint: latest (or a checkpoint directory); ' +
        'to start afresh and remove it, pass --overwrite-output-dir (logging.overwrite_output_dir: true); ' +
        'or choose another logging.output_dir.',
    );
  }
  assertRemovable(layout.root, config, inputs);
  const aside = join(dirname(layout.root), `.${basename(layout.root)}.overwritten-${process.pid}-${Date.now().toString(36)}`);
  await rename(layout.root, aside);
  await rm(aside, { recursive: true, force: true });
  logger?.warn(`logging.overwrite_output_dir: removed the previous run in ${layout.root} (${found.join(', ')})`);
}

/** Overwriting removes the whole directory: refused when that would take the working directory or an input with it. */
function assertRemovable(root: string, config: UnifiedConfig, inputs: Readonly<Record<string, string>>): void {
  if (config.train.resume_from_checkpoint === 'latest') {
    throw new OutputDirError(
      `train.resume_from_checkpoint: latest resumes the run in ${root}, which logging.overwrite_output_dir would remove: set one of them, not both`,
    );
  }
  if (isInside(process.cwd(), root)) {
    throw new OutputDirError(`logging.overwrite_output_dir: ${root} holds the working directory; refusing to remove it (give the run an output_dir of its own)`);
  }
  for (const [key, value] of [...Object.entries(inputs), ...configStrings(toPlainTree(config), '')]) {
    if (key === 'logging.output_dir' || !isInside(resolve(value), root) || !existsSync(value)) continue;
    throw new OutputDirError(`logging.overwrite_output_dir: ${key} (${value}) lies inside ${root}, which would be removed; move it out first`);
  }
}

/** Every string value of the config with its dotted path (model and data paths, a checkpoint to resume...). */
function* configStrings(value: unknown, path: string): Generator<[string, string]> {
  if (typeof value === 'string') yield [path, value];
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) yield* configStrings(child, path ? `${path}.${key}` : key);
  }
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
