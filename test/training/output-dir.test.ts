import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTrainer, runConfig, tempDir, writeJsonl, writeTinyModel } from './helpers.js';
import { sftRows } from './synthetic.js';

async function finishedRun(): Promise<{ dir: string; model: string; data: string; out: string }> {
  const dir = tempDir();
  const model = join(dir, 'model');
  await writeTinyModel(model, 'gpt2', { weights: 'init', seed: 2 });
  const data = writeJsonl(join(dir, 'data.jsonl'), sftRows(8, 9));
  const out = join(dir, 'out');
  await (await createTrainer(runConfig('sft', model, data, out, { per_device_batch_size: 4, max_steps: 2 }))).train();
  return { dir, model, data, out };
}

describe('the library API and an output_dir that holds a run', () => {
  it('train() refuses with exitCode 2 before writing anything, as the CLI does', async () => {
    const { model, data, out } = await finishedRun();
    const resolved = readFileSync(join(out, 'config.resolved.yaml'), 'utf8');
    const trainer = await createTrainer(runConfig('sft', model, data, out, { per_device_batch_size: 2, max_steps: 1 }));
    await expect(trainer.train()).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining(`${out} already holds a run`) });
    expect(readFileSync(join(out, 'config.resolved.yaml'), 'utf8')).toBe(resolved);
  });

  it('overwrite_output_dir starts afresh; it refuses to remove what the run reads or resumes', async () => {
    const { dir, model, data, out } = await finishedRun();
    const overwrite = { logging: { output_dir: out, overwrite_output_dir: true } };
    const latest = await createTrainer(runConfig('sft', model, data, out, { max_steps: 1, resume_from_checkpoint: 'latest' }, overwrite));
    await expect(latest.train()).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('set one of them, not both') });
    // the previous run's model as the start of the next one: overwriting would delete it
    const fromFinal = await createTrainer(runConfig('sft', join(out, 'final'), data, out, { max_steps: 1 }, overwrite));
    await expect(fromFinal.train()).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining(`model.name_or_path (${join(out, 'final')}) lies inside ${out}`) });
    expect(existsSync(join(out, 'final/model.safetensors'))).toBe(true);
    const fresh = await createTrainer(runConfig('sft', model, data, out, { per_device_batch_size: 4, max_steps: 1 }, overwrite));
    expect((await fresh.train()).steps).toBe(1);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
    expect(readdirSync(dir).sort()).toEqual(['data.jsonl', 'model', 'out']);
  });
});
