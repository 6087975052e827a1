import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/**
 * The W&B run id: WANDB_RUN_ID, else the id this output directory's run already has when it resumes, else a
 * fresh one. It is kept in `<output_dir>/wandb/run-id` so a resumed run appends to the same W&B run.
 */
export function resolveRunId(wandbDir: string, fromEnv: string | undefined, resumed: boolean): string {
  const file = join(wandbDir, 'run-id');
  const previous = resumed && existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  const id = fromEnv ?? (previous || newRunId());
  writeFileSync(file, `${id}\n`);
  return id;
}

/** Eight characters of [a-z0-9], the shape of W&B's generated ids. */
function newRunId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(8), (byte) => alphabet[byte % alphabet.length]).join('');
}
