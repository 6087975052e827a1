import { describe, expect, it } from 'vitest';
import { emitModel, ExtensionPoints, float32Tensor, grad, Graph, OnnxDataType, StepExecutor, TrainingConfig, type GraphExecutor } from '@aligntune/core';
import { withAutocast } from '../../core/src/engine/autocast.js';
import { LossScaler } from '../../core/src/training/loss-scaler.js';
import { mixedPrecision } from '../../core/src/training/mixed-precision.js';
import { trainingKernel } from './helpers.js';

/**
 * Mixed precision's graphs on the CPU. onnxruntime 1.30's CPU provider accepts float16 graphs but has no float16
 * MatMul kernel on x86-64: it computes them in float32 and drops the Cast pairs around them, so the float16
 * numerics cannot be checked here (docs/precision.md says what is unverified); the graph structure and the loss
 * scaling, which is float32 arithmetic plus a finiteness test, are.
 */

/** loss = mean((tanh(x·W1)·W2)²) built under autocast, with the gradients of W1 and W2. */
function autocastGraph() {
  const g = new Graph('amp');
  const x = g.input('x', 'float32', [4, 3]);
  const w1 = g.input('w1', 'float32', [3, 5]);
  const w2 = g.input('w2', 'float32', [5, 2]);
  const loss = withAutocast(g, 'float16', () => {
    const z = g.matmul(g.tanh(g.matmul(x, w1)), w2);
    return g.reduceMean(g.mul(z, z));
  });
  const [d1, d2] = grad(g, loss, [w1, w2]);
  return { g, loss, d1: d1!, d2: d2! };
}

describe('autocast (engine/autocast.ts)', () => {
  it('every MatMul of the forward and the backward reads float16 operands; the loss, tanh and the weight gradients stay float32', () => {
    const { g, loss, d1, d2 } = autocastGraph();
    const model = emitModel(g, { outputs: { loss, d1, d2 } });
    const dtypes = new Map<string, number>(model.graph.input.map((i) => [i.name, i.elemType]));
    for (const n of model.graph.node) if (n.opType === 'Cast') dtypes.set(n.output[0]!, Number(n.attribute?.find((a) => a.name === 'to')?.value.value));
    const matmuls = model.graph.node.filter((n) => n.opType === 'MatMul' || n.opType === 'Gemm');
    // forward x·W1, y·W2; backward dZ·W2ᵀ, yᵀ·dZ, xᵀ·dH
    expect(matmuls.length).toBe(5);
    for (const m of matmuls) for (const input of m.input.slice(0, 2)) expect(dtypes.get(input), `${m.opType} ${input}`).toBe(OnnxDataType.FLOAT16);
    expect(g.autocast).toBeUndefined(); // only the build was autocast
    expect([loss.dtype, d1.dtype, d2.dtype]).toEqual(['float32', 'float32', 'float32']);
    const tanh = model.graph.node.find((n) => n.opType === 'Tanh')!;
    expect(dtypes.get(tanh.input[0]!)).toBe(OnnxDataType.FLOAT);
  });

  it('leaves MatMuls of other dtypes alone and builds nothing extra without autocast', () => {
    const g = new Graph('plain');
    const a = g.input('a', 'float64', [2, 2]);
    const b = g.input('b', 'float64', [2, 2]);
    withAutocast(g, 'bfloat16', () => g.matmul(a, b));
    const f = g.input('f', 'float32', [2, 2]);
    g.matmul(f, f);
    expect(g.nodes.filter((n) => n.op === 'Cast')).toHaveLength(0);
  });
});

describe('dynamic loss scaling (LossScaler + the fused step graph)', () => {
  // ort-capi keeps weights and state resident and writes the step's outputs in place, as ort-capi-cuda does
  it.each(['cpu', 'ort-capi'])('%s: an overflowing backward skips the step (weights, state and step count kept) and halves the scale; finite steps update as unscaled; the scale doubles after growth_interval good steps', async (backendId) => {
    const cpu = (await trainingKernel().create(ExtensionPoints.computeBackend, backendId)) as GraphExecutor;
    // a scale near float32's limit forces what float16's range does on a GPU: S·gradient overflows to inf
    const scaler = new LossScaler({ initScale: 2 ** 127, growthInterval: 2 });
    const train = Object.assign(new TrainingConfig(), { optimizer: 'adamw', max_grad_norm: 1, memory_saving: 'off' });
    const buildLoss = (g: Graph) => {
      const w = g.input('w', 'float32', [3, 1]);
      const x = g.input('x', 'float32', ['batch', 3]);
      const y = g.matmul(x, w);
      return { loss: g.reduceMean(g.mul(y, y)) };
    };
    const w0 = float32Tensor([0.5, -0.25, 1], [3, 1]);
    const x = float32Tensor([1, 2, 0, 0, 1, -1, 2, 0, 1, -1, 1, 1].map((v) => v * 1000), [4, 3]);
    const steps = await StepExecutor.create(cpu, { train, label: 'scaled', buildLoss, params: { w: w0 }, lossScaler: scaler });
    const plain = await StepExecutor.create(cpu, { train, label: 'plain', buildLoss, params: { w: w0 } });
    const w = (s: StepExecutor) => Array.from(s.session.params.w!.data as Float32Array);
    try {
      const skipped: number[] = [];
      let outcome = await steps.step(() => ({ x }), 0.01);
      for (; outcome.skippedAtScale !== undefined; outcome = await steps.step(() => ({ x }), 0.01)) {
        skipped.push(outcome.skippedAtScale);
        expect(outcome.gradNorm).not.toBeLessThan(Infinity);
        expect(w(steps)).toEqual([0.5, -0.25, 1]);
        expect(steps.session.store.step).toBe(0);
      }
      expect(skipped.length).toBeGreaterThan(2);
      skipped.forEach((s, i) => expect(s).toBe(2 ** (127 - i)));
      // the first applied step equals the unscaled run's first step (S a power of two: scaling is exact)
      const unscaled = await plain.step(() => ({ x }), 0.01);
      expect(steps.session.store.step).toBe(1);
      expect(w(steps)).toEqual(w(plain));
      expect(outcome.gradNorm).toBe(unscaled.gradNorm);
      const applied = skipped.at(-1)! / 2;
      expect(scaler.state()).toEqual({ scale: applied, growth_tracker: 1 });
      const second = await steps.step(() => ({ x }), 0.01);
      await plain.step(() => ({ x }), 0.01);
      if (second.skippedAtScale === undefined) {
        expect(scaler.state()).toEqual({ scale: applied * 2, growth_tracker: 0 });
        expect(w(steps)).toEqual(w(plain));
      } else {
        expect(scaler.state()).toEqual({ scale: applied / 2, growth_tracker: 0 });
      }
    } finally {
      await steps.dispose();
      await plain.dispose();
      await cpu.dispose();
    }
  });

  it('LossScaler follows torch GradScaler (init 2^16, growth 2, backoff 0.5, interval 2000) and restores its state', () => {
    const scaler = new LossScaler();
    expect(scaler.state()).toEqual({ scale: 65536, growth_tracker: 0 });
    for (let i = 0; i < 1999; i++) scaler.update(true);
    expect(scaler.state()).toEqual({ scale: 65536, growth_tracker: 1999 });
    scaler.update(true);
    expect(scaler.state()).toEqual({ scale: 131072, growth_tracker: 0 });
    scaler.update(true);
    scaler.update(false);
    expect(scaler.state()).toEqual({ scale: 65536, growth_tracker: 0 });
    const resumed = new LossScaler();
    resumed.restore({ scale: 1024, growth_tracker: 7 });
    expect(resumed.scale).toBe(1024);
    expect(resumed.state()).toEqual({ scale: 1024, growth_tracker: 7 });
  });

  it('mixedPrecision: autocast only where the backend declares the dtype; float16 brings a loss scaler; auto follows the checkpoint', () => {
    const gpu = { computeDtypes: ['float16', 'bfloat16'] as const };
    expect(mixedPrecision('fp16', 'F32', {})).toEqual({});
    expect(mixedPrecision('bf16', 'F32', gpu)).toEqual({ autocast: 'bfloat16' });
    const fp16 = mixedPrecision('fp16', 'F32', gpu);
    expect(fp16.autocast).toBe('float16');
    expect(fp16.lossScaler?.scale).toBe(65536);
    expect(mixedPrecision('auto', 'BF16', gpu)).toEqual({ autocast: 'bfloat16' });
    expect(mixedPrecision('auto', 'F32', gpu)).toEqual({});
    expect(mixedPrecision('fp32', 'BF16', gpu)).toEqual({});
    expect(mixedPrecision('bf16', 'F32', { computeDtypes: ['float16'] })).toEqual({});
  });
});
