import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseByteSize, planShards, readCheckpoint, writeCheckpoint, type StoredTensor } from '@aligntune/core';
import { randomArray, tempDir } from './helpers.js';

function tensors(): Map<string, StoredTensor> {
  const m = new Map<string, StoredTensor>();
  for (let i = 0; i < 5; i++) m.set(`layers.${i}.w`, { dtype: 'F32', shape: [16, 16], data: randomArray(256, i) }); // 1 KiB each
  m.set('embed', { dtype: 'BF16', shape: [8], data: Uint16Array.from({ length: 8 }, (_, i) => 0x3f80 + i) });
  m.set('steps', { dtype: 'I64', shape: [1], data: new BigInt64Array([123n]) });
  return m;
}

function sameBytes(a: StoredTensor, b: StoredTensor): boolean {
  return Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength));
}

describe('sharded checkpoints', () => {
  it('shards by max size, writes the index, and reads back bit-exact', async () => {
    const dir = tempDir();
    const src = tensors();
    const { files, index } = await writeCheckpoint(dir, src, { maxShardSize: '2KiB' });
    expect(files).toEqual(['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
    const onDisk = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    expect(onDisk).toEqual(index);
    expect(onDisk.metadata.total_size).toBe(5 * 1024 + 16 + 8);
    expect(Object.keys(onDisk.weight_map)).toEqual([...src.keys()].sort());
    expect(onDisk.weight_map['layers.0.w']).toBe('model-00001-of-00003.safetensors');
    expect(onDisk.weight_map.steps).toBe('model-00003-of-00003.safetensors');
    expect(existsSync(join(dir, 'model.safetensors'))).toBe(false);
    const back = await readCheckpoint(dir, { keepRaw: true });
    expect(back.files).toEqual(files);
    expect(back.metadata).toEqual({ format: 'pt' });
    for (const [name, t] of src) expect(sameBytes(back.tensors.get(name)!, t), name).toBe(true);
  });

  it('writes a single model.safetensors without an index when everything fits, removing stale shards', async () => {
    const dir = tempDir();
    await writeCheckpoint(dir, tensors(), { maxShardSize: 2048 });
    await writeCheckpoint(dir, tensors(), { maxShardSize: '1GB' });
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
    const back = await readCheckpoint(dir);
    expect(back.tensors.get('embed')).toMatchObject({ dtype: 'F32', storedDtype: 'BF16' });
    // and back to shards: the single file goes away
    await writeCheckpoint(dir, tensors(), { maxShardSize: 3000 });
    expect(readdirSync(dir).sort()).toEqual(['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors', 'model.safetensors.index.json']);
  });

  it('gives a tensor larger than the shard size a shard of its own', () => {
    const big: [string, StoredTensor] = ['big', { dtype: 'F32', shape: [100], data: new Float32Array(100) }];
    const small = (n: string): [string, StoredTensor] => [n, { dtype: 'F32', shape: [1], data: new Float32Array(1) }];
    const shards = planShards([small('a'), big, small('b'), small('c')], 8);
    expect(shards.map((s) => s.map(([n]) => n))).toEqual([['a'], ['big'], ['b', 'c']]);
  });

  it('parses sizes like transformers', () => {
    expect(parseByteSize('5GB')).toBe(5e9);
    expect(parseByteSize('500MiB')).toBe(500 * 2 ** 20);
    expect(parseByteSize(' 2 kb ')).toBe(2000);
    expect(parseByteSize(1234)).toBe(1234);
    expect(() => parseByteSize('lots')).toThrow(/invalid size "lots"/);
    expect(() => parseByteSize(0)).toThrow(/must be positive/);
  });

  it('reports a missing shard, a tensor missing from its shard, and a directory without weights', async () => {
    const dir = tempDir();
    await writeCheckpoint(dir, tensors(), { maxShardSize: 2048 });
    const indexPath = join(dir, 'model.safetensors.index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8'));
    writeFileSync(indexPath, JSON.stringify({ ...index, weight_map: { ...index.weight_map, ghost: 'model-00001-of-00003.safetensors' } }));
    await expect(readCheckpoint(dir)).rejects.toThrow(/model-00001-of-00003.safetensors: tensor 'ghost': listed in .*index.json but missing from the shard/);
    writeFileSync(indexPath, JSON.stringify({ ...index, weight_map: { ...index.weight_map, extra: 'model-00009-of-00009.safetensors' } }));
    await expect(readCheckpoint(dir)).rejects.toThrow(/names shard model-00009-of-00009.safetensors, which does not exist/);
    writeFileSync(indexPath, JSON.stringify({ weight_map: { a: '../escape.safetensors' } }));
    await expect(readCheckpoint(dir)).rejects.toThrow(/weight_map\["a"\] must name a .safetensors file in the same directory/);
    await expect(readCheckpoint(tempDir())).rejects.toThrow(/no model.safetensors or model.safetensors.index.json found/);
  });
});
