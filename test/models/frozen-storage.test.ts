import { describe, expect, it } from 'vitest';
import {
  codeTable,
  DecoderModel,
  declareTokenInputs,
  dequantizeBlockwise,
  emitModel,
  fromCanonicalWeights,
  grad,
  Graph,
  hostValues,
  LoraAdapter,
  quantizeBlockwise,
  storeFrozen,
  weightStorage,
  type HostTensor,
  type QuantFormat,
  type Tensor,
  type WeightStorage,
} from '@aligntune/core';
import { randomArray } from './helpers.js';
import { maxAbsDiff, runGraph, tinyModel, tokenFeeds } from './graph-helpers.js';
import { referenceForward } from './reference/reference-forward.js';

/**
 * Frozen weights stored in bf16/fp16 or quantized (core/src/models/quant): the code tables are bitsandbytes',
 * the graph's decode gives exactly the host dequantization, a model's logits equal the float64 forward with those
 * dequantized weights, and the quantization error stays within the bound the block's absmax sets.
 */

// bitsandbytes csrc/kernels.cu: dDequantizeNF4 by code, and dDequantizeFP4Tree's magnitudes by the low three bits.
const BNB_NF4 = [
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0,
  0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
];
const BNB_FP4 = [0, 5.208333333e-3, 0.66666667, 1.0, 0.33333333, 0.5, 0.16666667, 0.25];
const FORMATS: QuantFormat[] = ['nf4', 'fp4', 'int4', 'int8'];

/** Half the widest gap between adjacent levels: no value in [-1, 1] is further than this from its level. */
function halfGap(format: QuantFormat): number {
  const levels = [...new Set(codeTable(format).levels)].filter((v) => Math.abs(v) <= 1).sort((a, b) => a - b);
  return Math.max(...levels.slice(1).map((v, i) => (v - levels[i]!) / 2));
}

describe('code tables', () => {
  it("NF4 and FP4 are bitsandbytes' levels (FP4: bit 3 is the sign)", () => {
    expect([...codeTable('nf4').levels]).toEqual(BNB_NF4.map(Math.fround));
    expect([...codeTable('fp4').levels]).toEqual([...BNB_FP4, ...BNB_FP4.map((m) => -m)].map(Math.fround));
    expect(halfGap('int8')).toBeCloseTo(1 / 254, 6);
    expect(halfGap('int4')).toBeCloseTo(1 / 14, 6);
  });

  it("quantizes to the nearest level, ties to the lower one as bitsandbytes' thresholds do", () => {
    const nf4 = codeTable('nf4');
    expect(nf4.quantize(0.03979014977812767 / 1.0000001)).toBe(7); // just below bitsandbytes' first threshold
    expect(nf4.quantize(0.9)).toBe(15);
    expect(nf4.quantize(-0.65)).toBe(1);
    const fp4 = codeTable('fp4');
    expect(fp4.quantize(0.9)).toBe(0b0011);
    expect(fp4.quantize(-0.45)).toBe(0b1101);
    expect(fp4.quantize(0.2)).toBe(0b0110);
  });
});

describe('blockwise quantization', () => {
  it.each(FORMATS)('%s: every element within absmax × half the widest level gap of its value', (format) => {
    const values = randomArray(1000, 3, 0.5); // 1000 = 15 blocks of 64 and a padded one
    const q = quantizeBlockwise(values, [10, 100], format, 64);
    expect(q.absmax.length).toBe(16);
    const restored = dequantizeBlockwise(q);
    const bound = halfGap(format) * 1.0001;
    values.forEach((v, i) => expect(Math.abs(v - restored[i]!)).toBeLessThanOrEqual(bound * q.absmax[Math.floor(i / 64)]!));
    expect(q.codes.length).toBe(format === 'int8' ? 1024 : 512);
  });
});

/** A model's weight stored by `storage`, decoded on a graph and run by onnxruntime. */
async function decodedOnGraph(storage: WeightStorage, values: Float32Array, dims: number[]): Promise<{ decoded: Float32Array; host: Float32Array }> {
  const { model } = tinyModel('llama');
  const name = 'layers.0.mlp.up.weight';
  const withValue = new Map(model.weights).set(name, { dtype: 'float32', dims, data: values });
  const stored = storeFrozen(new DecoderModel({ ...model, weights: withValue }), storage);
  const g = new Graph('decode');
  const w = stored.bind(g, 'input', 'ref.');
  const out = await runGraph(g, { w: w.source(name) }, w.feeds());
  return { decoded: Float32Array.from(hostValues(out.w!)), host: stored.stored.get(name)!.toFloat32() };
}

describe('the graph decode of a stored weight', () => {
  const values = randomArray(24 * 21, 5, 0.3); // 504: not a multiple of the block size
  it.each<[string, WeightStorage]>([
    ['bf16', { precision: 'bf16' }],
    ['fp16', { precision: 'fp16' }],
    ...FORMATS.map((format): [string, WeightStorage] => [format, { precision: 'fp32', quantization: { format, blockSize: 32 } }]),
  ])('%s: bit for bit the host dequantization', async (_label, storage) => {
    const { decoded, host } = await decodedOnGraph(storage, values, [24, 21]);
    expect(decoded).toEqual(host);
    expect(host).not.toEqual(values); // storage changed the values: the comparison is not fp32 with itself
  });
});

describe('precision: auto', () => {
  it("is the checkpoint's torch_dtype, and float32 for a model sharing the policy's starting weights", () => {
    const config = (torch_dtype: string) => ({ ...tinyModel('llama').model.config, raw: { torch_dtype } });
    expect(weightStorage({ precision: 'auto', quantization: {} }, config('bfloat16')).precision).toBe('bf16');
    expect(weightStorage({ precision: 'auto', quantization: {} }, config('float16')).precision).toBe('fp16');
    expect(weightStorage({ precision: 'auto', quantization: {} }, config('float32')).precision).toBe('fp32');
    expect(weightStorage({ precision: 'auto', quantization: {} }, config('bfloat16'), true).precision).toBe('fp32');
    expect(weightStorage({ precision: 'bf16', quantization: { load_in_8bit: true } }, config('float32'), true)).toEqual({ precision: 'bf16', quantization: { format: 'int8', blockSize: 64 } });
  });
});

describe('a stored model', () => {
  const rows = { ids: [[3, 9, 4, 17, 2], [5, 1, 8, 0, 0]], mask: [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]] };

  it.each<[string, string, WeightStorage]>([
    ['llama', 'nf4', { precision: 'bf16', quantization: { format: 'nf4', blockSize: 64 } }],
    ['gpt2', 'int8', { precision: 'fp32', quantization: { format: 'int8', blockSize: 64 } }],
    ['gpt2', 'bf16', { precision: 'bf16' }],
  ])('%s %s: logits equal the float64 forward of the dequantized weights', async (arch, _label, storage) => {
    const { model } = tinyModel(arch);
    const stored = storeFrozen(model, storage);
    expect(stored.weights.size).toBeLessThan(model.weights.size);
    const g = new Graph('stored-logits');
    const inputs = declareTokenInputs(g);
    const { hidden, weights } = stored.forward(g, inputs, 'input', 'ref.');
    const out = await runGraph(g, { logits: stored.lmLogits(g, weights, hidden) }, { ...tokenFeeds(rows), ...stored.namedWeights('ref.') });
    const hf = fromCanonicalWeights(stored.config, stored.canonicalWeights(), { prefix: stored.prefix });
    const ref = referenceForward(stored.config, new Map([...hf].map(([n, t]) => [n, t.data as Float32Array])), { inputIds: rows.ids, attentionMask: rows.mask });
    const logits = hostValues(out.logits!);
    const vocab = stored.config.vocabSize;
    let err = 0;
    let scale = 0;
    rows.mask.forEach((mask, b) =>
      mask.forEach((m, t) => {
        if (!m) return;
        ref.logits[b]![t]!.forEach((v, j) => {
          err = Math.max(err, Math.abs(logits[(b * 5 + t) * vocab + j]! - v));
          scale = Math.max(scale, Math.abs(v));
        });
      }),
    );
    expect(err / scale).toBeLessThan(1e-5);
  });
});

describe('a stored reference in a training graph', () => {
  it('each decoded weight is read by one forward op only (freed after it), while the policy weights are also read by the backward', () => {
    const { model } = tinyModel('llama');
    const reference = storeFrozen(model, { precision: 'bf16', quantization: { format: 'nf4', blockSize: 64 } });
    const g = new Graph('policy-and-reference');
    const inputs = declareTokenInputs(g);
    const policy = model.forward(g, inputs, 'input');
    const ref = reference.forward(g, inputs, 'input', 'ref.');
    const diff = g.sub(model.lmLogits(g, policy.weights, policy.hidden), reference.lmLogits(g, ref.weights, ref.hidden));
    const loss = g.reduceSum(g.mul(diff, diff));
    grad(g, loss, policy.weights.params());
    const readers = (t: Tensor) => g.nodes.filter((n) => n.inputs.includes(t)).length;
    expect(ref.weights.params()).toEqual([]);
    for (const t of ref.weights.used.values()) expect(readers(t)).toBe(1);
    expect(Math.max(...[...policy.weights.used.values()].map(readers))).toBeGreaterThan(1);
  });
});

/** A model holding only `name` (random values, `seed`), stored as `storage` says. */
function oneStoredWeight(name: string, dims: [number, number], seed: number, storage: WeightStorage): DecoderModel {
  const { model } = tinyModel('llama');
  const weight: HostTensor = { dtype: 'float32', dims, data: randomArray(dims[0] * dims[1], seed, 0.5) };
  return storeFrozen(new DecoderModel({ ...model, weights: new Map([[name, weight]]) }), storage);
}

describe('backward through a quantized frozen weight', () => {
  it('dX = dY·Ŵᵀ decoded again from the same codes: no gradient, no float input for the weight, the forward copy read once', async () => {
    const [k, n] = [40, 24];
    const name = 'layers.0.attn.q.weight';
    const stored = oneStoredWeight(name, [k, n], 9, { precision: 'fp32', quantization: { format: 'nf4', blockSize: 64 } });
    const g = new Graph('frozen-backward');
    const x = g.input('x', 'float32', [3, k]);
    const weights = stored.bind(g, 'input');
    const y = g.matmul(x, g.mul(weights.source(name), 0.5)); // the backward reads 0.5·Ŵ, derived from the decode: recomputed too
    const loss = g.reduceSum(g.mul(y, y));
    expect(weights.params()).toEqual([]);
    const [dx] = grad(g, loss, [x]);
    const decoded = weights.used.get(name)!;
    expect(g.nodes.filter((n) => n.inputs.includes(decoded)).length).toBe(1); // the forward's Mul only: the backward decodes its own
    expect(g.nodes.filter((n) => n.op === 'Gather').length).toBe(2);
    const model2 = emitModel(g, { outputs: { dx: dx! } });
    expect(model2.graph.input.map((i) => i.name).sort()).toEqual([`${name}.absmax`, `${name}.codes`, 'x']);
    const xs = randomArray(3 * k, 11, 1);
    const out = await runGraph(g, { dx: dx! }, { x: { dtype: 'float32', dims: [3, k], data: xs }, ...weights.feeds() });
    const w = stored.stored.get(name)!.toFloat32().map((v) => v * 0.5); // what the codes decode to, scaled
    const expected = new Float64Array(3 * k);
    for (let r = 0; r < 3; r++) {
      const yr = Array.from({ length: n }, (_, j) => Array.from({ length: k }, (_, i) => xs[r * k + i]! * w[i * n + j]!).reduce((a, b) => a + b, 0));
      for (let i = 0; i < k; i++) expected[r * k + i] = yr.reduce((a, yj, j) => a + 2 * yj * w[i * n + j]!, 0);
    }
    const got = hostValues(out.dx!);
    expected.forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThan(1e-4 * (1 + Math.abs(v))));
  });

  it('under gradient checkpointing, a layer reading a decoded weight replays the decode with the layer: same gradients, the forward copy read once', async () => {
    const [k, n] = [40, 24];
    const name = 'layers.0.mlp.down.weight';
    const stored = oneStoredWeight(name, [n, k], 21, { precision: 'bf16', quantization: { format: 'nf4', blockSize: 64 } });
    /** One checkpointed layer, tanh(x·W)·Ŵ, with W trained and Ŵ the stored weight decoded inside the layer. */
    const layer = (recompute: boolean) => {
      const g = new Graph(recompute ? 'checkpointed' : 'plain');
      const x = g.input('x', 'float32', [3, k]);
      const w = g.input('w', 'float32', [k, n]);
      const weights = stored.bind(g, 'input');
      g.beginSegment();
      const y = g.matmul(g.tanh(g.matmul(x, w)), weights.source(name));
      g.endSegment();
      const grads = grad(g, g.reduceSum(g.mul(y, y)), [x, w], undefined, { recompute });
      return { g, grads, decoded: weights.used.get(name)!, feeds: weights.feeds() };
    };
    const feeds = { x: { dtype: 'float32', dims: [3, k], data: randomArray(3 * k, 22, 1) }, w: { dtype: 'float32', dims: [k, n], data: randomArray(k * n, 23, 0.3) } } as const;
    const results = [];
    for (const recompute of [false, true]) {
      const { g, grads, decoded, feeds: stored } = layer(recompute);
      expect(g.nodes.filter((node) => node.inputs.includes(decoded)).length).toBe(1); // the forward's MatMul only
      expect(g.nodes.filter((node) => node.op === 'Gather').length).toBe(2); // one decode in the backward, shared by the replayed layer
      expect(g.nodes.filter((node) => node.op === 'Tanh').length).toBe(recompute ? 2 : 1);
      const out = await runGraph(g, { dx: grads[0]!, dw: grads[1]! }, { ...feeds, ...stored });
      results.push([hostValues(out.dx!), hostValues(out.dw!)]);
    }
    const [plain, checkpointed] = results;
    plain!.forEach((values, i) => expect(maxAbsDiff(checkpointed![i]!, values)).toBeLessThan(1e-6 * Math.max(...values.map(Math.abs))));
  });

  it('a QLoRA step: the adapter alone trains, the backward adds no reader to a decoded base weight, and no float copy of the base is an input', () => {
    const { model } = tinyModel('llama');
    const base = storeFrozen(model, { precision: 'bf16', quantization: { format: 'nf4', blockSize: 64 } });
    const adapter = LoraAdapter.create(base, { r: 2, loraAlpha: 4, loraDropout: 0, targetModules: ['q_proj', 'v_proj', 'down_proj'], useRslora: false, modulesToSave: [], initLoraWeights: false }, { seed: 3 });
    const policy = base.withAdapter(adapter);
    const reference = base.withAdapter(adapter.disabled());
    const g = new Graph('qlora-dpo-like');
    const inputs = declareTokenInputs(g);
    const pol = policy.forward(g, inputs, 'input');
    const ref = reference.forward(g, inputs, 'input', 'ref.');
    const diff = g.sub(policy.lmLogits(g, pol.weights, pol.hidden), reference.lmLogits(g, ref.weights, ref.hidden));
    const params = pol.weights.params();
    // policy and reference share one binding of the base: each decoded weight is read by their forward ops
    const baseWeights = [...ref.weights.used.values()];
    expect(baseWeights.length).toBeGreaterThan(10);
    const readers = (t: Tensor) => g.nodes.filter((n) => n.inputs.includes(t)).length;
    const forwardReaders = baseWeights.map(readers);
    grad(g, g.reduceSum(g.mul(diff, diff)), params);
    expect(params.length).toBe(adapter.tensors.size);
    expect(ref.weights.params()).toEqual([]);
    // the backward (dX = dY·Ŵᵀ through the base) decodes its own copy: it adds no reader to the forward's
    expect(baseWeights.map(readers)).toEqual(forwardReaders);
    // the graph's weight inputs are the adapter's; the base enters as initializers, its linear layers as 4-bit codes
    expect(g.inputs.filter((t) => t.name?.includes('lora_')).length).toBe(adapter.tensors.size);
    expect(g.inputs.filter((t) => t.name?.startsWith('base.'))).toEqual([]);
    const baseInitializers = g.nodes.filter((n) => n.op === 'Initializer').map((n) => n.attrs.value as HostTensor);
    const q = baseInitializers.find((v) => v.dims.join() === String(adapter.targets[0]!.inFeatures * adapter.targets[0]!.outFeatures / 2));
    expect(q?.dtype).toBe('uint8');
    expect(baseInitializers.filter((v) => v.dtype === 'float32' && v.dims.length === 2)).toEqual([]);
  });

  it('one linear layer: |x·W − x·Ŵ| ≤ Σₖ |xₖ| · absmax(block) · half gap, per output', async () => {
    for (const format of FORMATS) {
      const [k, n] = [64, 32];
      const wValues = randomArray(k * n, 13, 0.2);
      const q = quantizeBlockwise(wValues, [k, n], format, 64);
      const wq = dequantizeBlockwise(q);
      const x = randomArray(k, 17, 1);
      for (let j = 0; j < n; j++) {
        let diff = 0;
        let bound = 0;
        for (let i = 0; i < k; i++) {
          diff += x[i]! * (wValues[i * n + j]! - wq[i * n + j]!);
          bound += Math.abs(x[i]!) * q.absmax[Math.floor((i * n + j) / 64)]! * halfGap(format);
        }
        expect(Math.abs(diff)).toBeLessThanOrEqual(bound * 1.0001);
      }
    }
  });
});
