import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isFrozenHostArray, loadModel, saveModelDir, storeFrozen, toCanonicalWeights, type DecoderModel, type HostTensor, type WeightStorage } from '@aligntune/core';
import { trainingKernel } from '../training/helpers.js';
import { randomTensors, tinyConfig } from './graph-helpers.js';

/**
 * A frozen model loaded tensor by tensor (loadModel's frozenStorage, the LoRA base): each weight takes its storage
 * form as it is read, a bf16 / fp16 checkpoint's weights stay the bits on disk when the storage is the same format,
 * and the result is the same as loading in float32 and storing afterwards (storeFrozen).
 */
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function checkpoint(arch: string, dtype: 'F32' | 'F16' | 'BF16'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `frozen-load-${arch}-`));
  dirs.push(dir);
  const config = tinyConfig(arch);
  const { weights } = toCanonicalWeights(config, randomTensors(config, 7));
  await saveModelDir(dir, config, { weights, dtype });
  return dir;
}

/** Every part of every weight as it is held (stored parts by suffix, plain tensors as ''), by canonical name. */
function held(model: DecoderModel): Map<string, Record<string, HostTensor>> {
  const out = new Map<string, Record<string, HostTensor>>();
  for (const [name, t] of model.weights) out.set(name, { '': t });
  for (const [name, s] of model.stored) out.set(name, { ...s.parts });
  return out;
}

describe('loading a frozen model tensor by tensor', () => {
  const kernel = trainingKernel();

  it.each<[string, 'F16' | 'BF16', WeightStorage['precision']]>([
    ['llama', 'BF16', 'bf16'],
    ['gpt2', 'BF16', 'bf16'],
    ['llama', 'F16', 'fp16'],
  ])('%s %s checkpoint, %s storage: every weight stored, its bits those of the file (transposed where the layout says)', async (arch, dtype, precision) => {
    const dir = await checkpoint(arch, dtype);
    const direct = await loadModel(dir, { kernel, frozenStorage: () => ({ precision }) });
    expect(direct.weights.size).toBe(0);
    const viaFloat32 = storeFrozen(await loadModel(dir, { kernel }), { precision });
    expect(direct.stored.size).toBe(viaFloat32.stored.size);
    const partDtype = precision === 'bf16' ? 'bfloat16' : 'float16';
    for (const [name, parts] of held(viaFloat32)) {
      const mine = direct.stored.get(name)!.parts[''];
      expect(mine?.dtype, name).toBe(partDtype);
      expect(mine!.dims, name).toEqual(parts['']!.dims);
      expect(Buffer.from(mine!.data.buffer, mine!.data.byteOffset, mine!.data.byteLength).equals(Buffer.from(parts['']!.data.buffer, parts['']!.data.byteOffset, parts['']!.data.byteLength)), name).toBe(true);
    }
  });

  it('float32 checkpoint, nf4 with float32 embeddings and norms: the same codes, scales and plain weights as storing after a float32 load', async () => {
    const storage: WeightStorage = { precision: 'fp32', quantization: { format: 'nf4', blockSize: 64 } };
    const dir = await checkpoint('llama', 'F32');
    const direct = await loadModel(dir, { kernel, frozenStorage: () => storage });
    const viaFloat32 = storeFrozen(await loadModel(dir, { kernel }), storage);
    expect([...direct.stored.keys()].sort()).toEqual([...viaFloat32.stored.keys()].sort());
    expect(direct.stored.size).toBeGreaterThan(0);
    expect(direct.weights.get('embed.tokens')?.dtype).toBe('float32');
    // the frozen model's own arrays are marked never-written (a backend reads them in place); a trainable load's are not
    for (const t of Object.values(direct.namedWeights())) expect(isFrozenHostArray(t.data)).toBe(true);
    expect(isFrozenHostArray((await loadModel(dir, { kernel })).weights.get('embed.tokens')!.data)).toBe(false);
    const expected = held(viaFloat32);
    for (const [name, parts] of held(direct)) {
      for (const [suffix, part] of Object.entries(parts)) expect([...part.data], `${name}${suffix}`).toEqual([...expected.get(name)![suffix]!.data]);
    }
  });

  it('the config.json decides the storage (precision auto: a bf16 checkpoint stays bf16)', async () => {
    const dir = await checkpoint('llama', 'BF16');
    const seen: string[] = [];
    const model = await loadModel(dir, {
      kernel,
      frozenStorage: (config) => {
        seen.push(String(config.raw.torch_dtype));
        return { precision: 'bf16' };
      },
    });
    expect(seen).toEqual(['bfloat16']);
    expect(model.stored.get('embed.tokens')?.parts['']?.dtype).toBe('bfloat16');
  });
});
