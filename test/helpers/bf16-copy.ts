import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f32ToBf16, readCheckpoint, writeCheckpoint, type StoredTensor } from '@aligntune/core';

/** Model directory `source` rewritten at `target` as a bf16 checkpoint: every tensor rounded to bfloat16, config.json torch_dtype bfloat16. */
export async function bf16Copy(source: string, target: string): Promise<void> {
  cpSync(source, target, { recursive: true });
  const { tensors } = await readCheckpoint(source);
  const narrow = new Map([...tensors].map(([name, t]) => [name, { dtype: 'BF16', shape: t.shape, data: f32ToBf16(t.data as Float32Array) } as StoredTensor]));
  await writeCheckpoint(target, narrow);
  const config = JSON.parse(readFileSync(join(target, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(target, 'config.json'), JSON.stringify({ ...config, torch_dtype: 'bfloat16' }));
}
