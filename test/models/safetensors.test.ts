import { mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bf16BitsToNumber,
  bf16ToF32,
  f16BitsToNumber,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  readSafetensors,
  SafetensorsError,
  SafetensorsReader,
  writeSafetensors,
  type StoredTensor,
} from '@aligntune/core';
import { tempDir } from './helpers.js';

function bytes(t: StoredTensor): number[] {
  return [...new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)];
}

/** One tensor of every dtype, with awkward values (NaN payloads, negative zero, extremes). */
function everyDtype(): Map<string, StoredTensor> {
  const f32 = new Float32Array([1.5, -0, Infinity, -3.25e-39]);
  new Uint32Array(f32.buffer)[3] = 0x7fc01234; // NaN with a payload
  return new Map<string, StoredTensor>([
    ['f64', { dtype: 'F64', shape: [3], data: new Float64Array([Math.PI, -1e308, Number.MIN_VALUE]) }],
    ['f32', { dtype: 'F32', shape: [2, 2], data: f32 }],
    ['f16', { dtype: 'F16', shape: [4], data: new Uint16Array([0x3c00, 0x8001, 0x7c01, 0xfbff]) }],
    ['bf16', { dtype: 'BF16', shape: [2, 1], data: new Uint16Array([0x3f80, 0xff81]) }],
    ['i64', { dtype: 'I64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 62n + 7n]) }],
    ['u64', { dtype: 'U64', shape: [1], data: new BigUint64Array([2n ** 64n - 1n]) }],
    ['i32', { dtype: 'I32', shape: [3], data: new Int32Array([-1, 0, 2147483647]) }],
    ['u32', { dtype: 'U32', shape: [1], data: new Uint32Array([4294967295]) }],
    ['i16', { dtype: 'I16', shape: [1], data: new Int16Array([-32768]) }],
    ['u16', { dtype: 'U16', shape: [1], data: new Uint16Array([65535]) }],
    ['i8', { dtype: 'I8', shape: [2], data: new Int8Array([-128, 127]) }],
    ['u8', { dtype: 'U8', shape: [2], data: new Uint8Array([0, 255]) }],
    ['bool', { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) }],
    ['scalar', { dtype: 'F32', shape: [], data: new Float32Array([42]) }],
    ['empty', { dtype: 'F32', shape: [0, 5], data: new Float32Array(0) }],
  ]);
}

/** A file laid out by hand from the format description, independent of our writer. */
function handMadeFile(path: string, header: string, data: Uint8Array): void {
  const h = Buffer.from(header, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  writeFileSync(path, Buffer.concat([len, h, data]));
}

describe('safetensors round trip', () => {
  it('is bit-exact for every dtype, keeps metadata, and re-writing gives an identical file', async () => {
    const dir = tempDir();
    const tensors = everyDtype();
    const a = join(dir, 'a.safetensors');
    await writeSafetensors(a, tensors, { metadata: { format: 'pt', note: 'ünïcode' } });
    const { tensors: back, metadata } = await readSafetensors(a, { keepRaw: true });
    expect(metadata).toEqual({ format: 'pt', note: 'ünïcode' });
    expect([...back.keys()].sort()).toEqual([...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      const r = back.get(name)!;
      expect([r.dtype, r.shape], name).toEqual([t.dtype, t.shape]);
      expect(r.data.constructor).toBe(t.data.constructor);
      expect(bytes(r), name).toEqual(bytes(t));
    }
    const b = join(dir, 'b.safetensors');
    await writeSafetensors(b, back, { metadata: metadata! });
    expect(readFileSync(b).equals(readFileSync(a))).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['a.safetensors', 'b.safetensors']); // no temp files left
  });

  it('pads the header with spaces to a multiple of 8 and orders data by element size, then name', async () => {
    const path = join(tempDir(), 'x.safetensors');
    await writeSafetensors(path, { b: { dtype: 'U8', shape: [1], data: new Uint8Array([7]) }, a: { dtype: 'F32', shape: [1], data: new Float32Array([1]) } });
    const file = readFileSync(path);
    const n = Number(file.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = file.subarray(8, 8 + n).toString('utf8');
    expect(header.trimEnd()).toBe('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[1],"data_offsets":[4,5]}}');
    expect(/^ *$/.test(header.slice(header.trimEnd().length))).toBe(true);
    expect(file.length).toBe(8 + n + 5);
  });

  it('reads a hand-made file with an unpadded header and metadata', async () => {
    const path = join(tempDir(), 'hand.safetensors');
    const data = new Uint8Array([0x00, 0x00, 0x80, 0x3f, 0x00, 0x3c, 0x49, 0x40]); // f32 1.0, f16 1.0, bf16 3.140625
    handMadeFile(
      path,
      '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"h":{"dtype":"F16","shape":[1],"data_offsets":[4,6]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[6,8]},"__metadata__":{"k":"v"}}',
      data,
    );
    const { tensors, metadata } = await readSafetensors(path);
    expect(metadata).toEqual({ k: 'v' });
    expect([...tensors.get('w')!.data]).toEqual([1]);
    expect(tensors.get('h')).toMatchObject({ dtype: 'F32', storedDtype: 'F16', shape: [1] });
    expect([...tensors.get('h')!.data]).toEqual([1]);
    expect([...tensors.get('b')!.data]).toEqual([3.140625]);
  });

  it('reads tensors one at a time by name', async () => {
    const path = join(tempDir(), 'x.safetensors');
    await writeSafetensors(path, everyDtype());
    const reader = await SafetensorsReader.open(path);
    try {
      expect(reader.names.length).toBe(15);
      expect([...(await reader.read('i32')).data]).toEqual([-1, 0, 2147483647]);
      await expect(reader.read('nope')).rejects.toThrow(/tensor 'nope'/);
    } finally {
      await reader.close();
    }
  });
});

describe('writing tensors whose data is computed when read', () => {
  it('reads each tensor once, as it is written: the file holds exactly the tensors before it when its data is asked for', async () => {
    const dir = tempDir();
    const path = join(dir, 'lazy.safetensors');
    const sizes: Record<string, number> = { a: 300, b: 50, c: 1000 };
    const reads: Array<{ name: string; fileBytes: number }> = [];
    const tensors: Record<string, StoredTensor> = {};
    for (const [name, n] of Object.entries(sizes)) {
      tensors[name] = {
        dtype: 'F32',
        shape: [n],
        get data() {
          const tmp = readdirSync(dir).filter((f) => f.endsWith('.tmp'));
          reads.push({ name, fileBytes: tmp.length === 1 ? statSync(join(dir, tmp[0]!)).size : -1 });
          return Float32Array.from({ length: n }, (_, i) => i + n);
        },
      };
    }
    const total = await writeSafetensors(path, tensors);
    const dataStart = total - 4 * (300 + 50 + 1000);
    // same element size: name order; each read finds its predecessors (and only them) already in the file
    expect(reads).toEqual([
      { name: 'a', fileBytes: dataStart },
      { name: 'b', fileBytes: dataStart + 4 * 300 },
      { name: 'c', fileBytes: dataStart + 4 * 350 },
    ]);
    const back = await readSafetensors(path);
    expect([...(back.tensors.get('c')!.data as Float32Array).slice(0, 2)]).toEqual([1000, 1001]);
  });
});

describe('F16 / BF16', () => {
  it('converts to F32 as hand-computed', () => {
    const f16: [number, number][] = [
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504],
      [0x0400, 2 ** -14],
      [0x0001, 2 ** -24], // smallest subnormal
      [0x03ff, 1023 * 2 ** -24], // largest subnormal
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
      [0x8000, -0],
    ];
    for (const [bits, v] of f16) expect(f16BitsToNumber(bits), bits.toString(16)).toBe(v);
    expect(f16BitsToNumber(0x7e00)).toBeNaN();
    const bf16: [number, number][] = [
      [0x3f80, 1],
      [0x4049, 3.140625],
      [0xc2f7, -123.5],
      [0x7f7f, 3.3895313892515355e38],
      [0x0001, 9.183549615799121e-41],
      [0xff80, -Infinity],
    ];
    for (const [bits, v] of bf16) expect(bf16BitsToNumber(bits), bits.toString(16)).toBe(v);
    expect([...f16ToF32(new Uint16Array([0x3c00, 0xc000]))]).toEqual([1, -2]);
    expect([...bf16ToF32(new Uint16Array([0x3f80, 0x4049]))]).toEqual([1, 3.140625]);
  });

  it('narrows F32 with round-to-nearest-even, overflow and underflow', () => {
    const f16 = (x: number) => f32ToF16(new Float32Array([x]))[0];
    expect(f16(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(f16(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(f16(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // above the tie
    expect(f16(65519)).toBe(0x7bff);
    expect(f16(65520)).toBe(0x7c00); // rounds to infinity
    expect(f16(2 ** -25)).toBe(0x0000); // tie between 0 and the smallest subnormal → 0
    expect(f16(1.5 * 2 ** -25)).toBe(0x0001);
    expect(f16(-(2 ** -14))).toBe(0x8400);
    expect(f16(2 ** -14 - 2 ** -25)).toBe(0x0400); // subnormal rounding carries into the exponent
    expect(f16(1e-10)).toBe(0);
    const bf = (x: number) => f32ToBf16(new Float32Array([x]))[0];
    expect(bf(1 + 2 ** -8)).toBe(0x3f80);
    expect(bf(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(bf(3.14159)).toBe(0x4049);
    expect(bf(3.4e38)).toBe(0x7f80); // overflow → inf
    expect(bf16BitsToNumber(bf(Number.NaN))).toBeNaN();
  });

  it('round-trips every 16-bit pattern through F32 unchanged (NaN payloads included)', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    expect(f32ToF16(f16ToF32(all))).toEqual(all);
    expect(f32ToBf16(bf16ToF32(all))).toEqual(all);
  });
});

describe('corrupt and truncated files', () => {
  async function writeValid(): Promise<string> {
    const path = join(tempDir(), 'model.safetensors');
    await writeSafetensors(path, {
      'layer.0.weight': { dtype: 'F32', shape: [4, 4], data: new Float32Array(16).fill(1) },
      'layer.1.weight': { dtype: 'F32', shape: [4], data: new Float32Array(4) },
    });
    return path;
  }

  it('names the file and the cut tensor when the data is truncated', async () => {
    const path = await writeValid();
    truncateSync(path, readFileSync(path).length - 3);
    const err = await readSafetensors(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SafetensorsError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toMatch(/tensor 'layer.1.weight'.*truncated/);
  });

  it('names the file when the header itself is truncated or the file is tiny', async () => {
    const path = await writeValid();
    truncateSync(path, 20);
    await expect(readSafetensors(path)).rejects.toThrow(new RegExp(`${path}.*header length \\d+ runs past the end`));
    truncateSync(path, 5);
    await expect(readSafetensors(path)).rejects.toThrow(/too small for a safetensors header/);
  });

  it('rejects invalid JSON, non-UTF-8 and absurd header lengths', async () => {
    const dir = tempDir();
    handMadeFile(join(dir, 'a'), '{"x": {"dtype": "F32",', new Uint8Array(0));
    await expect(readSafetensors(join(dir, 'a'))).rejects.toThrow(/a: corrupt header: invalid JSON/);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(2n ** 60n);
    writeFileSync(join(dir, 'b'), Buffer.concat([len, Buffer.from('{}')]));
    await expect(readSafetensors(join(dir, 'b'))).rejects.toThrow(/exceeds the 100000000-byte limit/);
  });

  const bad: [string, string, number, RegExp][] = [
    ['overlap', '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8, /tensor 'b'.*overlap/],
    ['gap', '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', 12, /tensor 'b'.*gap/],
    ['out of bounds', '{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', 8, /tensor 'a'.*past the end/],
    ['size mismatch', '{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', 8, /tensor 'a'.*span 8 bytes but shape \[3\] of F32 needs 12/],
    ['bad dtype', '{"a":{"dtype":"F8_E9M9","shape":[1],"data_offsets":[0,1]}}', 1, /tensor 'a'.*unsupported dtype/],
    ['negative shape', '{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', 4, /tensor 'a'.*invalid shape/],
    ['reversed offsets', '{"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}', 4, /tensor 'a'.*end before they begin/],
    ['trailing bytes', '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 9, /5 unexpected bytes after the last tensor/],
    ['bad metadata', '{"__metadata__":{"n":1}}', 0, /__metadata__.n must be a string/],
  ];
  for (const [label, header, dataLen, message] of bad) {
    it(`validates the header: ${label}`, async () => {
      const path = join(tempDir(), 'bad.safetensors');
      handMadeFile(path, header, new Uint8Array(dataLen));
      const err = await readSafetensors(path).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(err).toBeInstanceOf(SafetensorsError);
      expect(err!.message).toMatch(message);
      expect(err!.message.startsWith(path)).toBe(true);
    });
  }

  it('refuses to write tensors whose array does not match dtype or shape, naming them', async () => {
    const path = join(tempDir(), 'w.safetensors');
    await expect(writeSafetensors(path, { w: { dtype: 'BF16', shape: [2], data: new Float32Array(2) } })).rejects.toThrow(/tensor 'w': BF16 data must be a Uint16Array, got Float32Array/);
    await expect(writeSafetensors(path, { w: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } })).rejects.toThrow(/tensor 'w': data has 3 elements but shape \[2, 2\] needs 4/);
  });

  it('leaves no temporary file behind when the final rename fails', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'target.safetensors', 'inner'), { recursive: true }); // a non-empty directory cannot be replaced
    await expect(writeSafetensors(join(dir, 'target.safetensors'), { a: { dtype: 'U8', shape: [1], data: new Uint8Array(1) } })).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['target.safetensors']);
  });
});
