import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f32ToBf16, f32ToF16, readCheckpoint, writeCheckpoint, type StoredTensor } from '@aligntune/core';

const HALF = { BF16: { round: f32ToBf16, torchDtype: 'bfloat16' }, F16: { round: f32ToF16, torchDtype: 'float16' } } as const;

/** Model directory `source` rewritten at `target` as a `dtype` checkpoint: every tensor rounded to it, config.json's torch_dtype to match. */
export async function halfCopy(source: string, target: string, dtype: keyof typeof HALF): Promise<void> {
  const { round, torchDtype } = HALF[dtype];
  cpSync(source, target, { recursive: true });
  const { tensors } = await readCheckpoint(source);
  const narrow = new Map([...tensors].map(([name, t]) => [name, { dtype, shape: t.shape, data: round(t.data as Float32Array) } as StoredTensor]));
  await writeCheckpoint(target, narrow);
  const config = JSON.parse(readFileSync(join(target, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(target, 'config.json'), JSON.stringify({ ...config, torch_dtype: torchDtype }));
}

/** `halfCopy` in bfloat16. */
export const bf16Copy = (source: string, target: string) => halfCopy(source, target, 'BF16');
