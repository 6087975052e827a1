import { afterAll, describe, expect, it } from 'vitest';
import { AdamW, buildAccumulateStep, buildApplyStep, buildTrainStep, Graph, TrainSession, type GraphExecutor, type HostTensor } from '@aligntune/core';
import { OnnxRuntimeBackend } from '@aligntune/plugin-backend-onnxruntime';
import { CapiBackend } from '@aligntune/plugin-backend-onnxruntime-capi';
import { seeded } from './backend-conformance.js';

/** A two-parameter linear regression with AdamW and clipping. */
function spec() {
  const g = new Graph('linear');
  const W = g.input('W', 'float32', [3, 4]);
  const b = g.input('b', 'float32', [4]);
  const x = g.input('x', 'float32', ['batch', 3]);
  const y = g.input('y', 'float32', ['batch', 4]);
  const d = g.sub(g.add(g.matmul(x, W), b), y);
  return { graph: g, loss: g.reduceMean(g.mul(d, d)), params: [W, b], optimizer: new AdamW({ weightDecay: 0.1 }), maxGradNorm: 0.5 };
}

const init = (): Record<string, HostTensor> => ({ W: { dtype: 'float32', dims: [3, 4], data: seeded(12, 1) }, b: { dtype: 'float32', dims: [4], data: seeded(4, 2) } });
const batch = (seed: number) => ({ x: { dtype: 'float32', dims: [5, 3], data: seeded(15, seed) }, y: { dtype: 'float32', dims: [5, 4], data: seeded(20, seed + 1) } }) as const;
const LRS = [0.05, 0.1, 0.02, 0.07];

const backends: GraphExecutor[] = [];
const make = <T extends GraphExecutor>(b: T): T => (backends.push(b), b);
afterAll(async () => {
  for (const b of backends) await b.dispose();
});

type Programs = Parameters<typeof TrainSession.create>[1];

/** Trains `LRS.length` steps (each of `micro` micro-batches) and returns the params, state and step results. */
async function train(executor: GraphExecutor, programs: () => Programs, micro: number) {
  const s = await TrainSession.create(executor, programs(), init());
  const results = [];
  for (const [i, lr] of LRS.entries()) {
    if (micro === 1) results.push(await s.step(batch(10 * i), lr));
    else {
      for (let m = 0; m < micro; m++) results.push(await s.accumulate(batch(10 * i + m), 1 / micro));
      results.push({ gradNorm: await s.applyAccumulated(lr) });
    }
  }
  const out = { resident: s.resident, params: { ...s.params }, state: s.store.exportState(), results };
  await s.dispose();
  return out;
}

describe('TrainSession with resident state (ort-capi) against host tensors (onnxruntime-node)', () => {
  const fused = () => ({ trainStep: buildTrainStep(spec()) });
  const accumulated = () => ({ accumulate: buildAccumulateStep(spec()), apply: buildApplyStep(spec()) });
  const withGradient = () => ({ ...accumulated(), gradient: buildAccumulateStep(spec(), { fresh: true }) });

  for (const [name, programs, micro] of [
    ['fused', fused, 1],
    ['accumulated (zeroed gradient set)', accumulated, 3],
    ['accumulated (fresh-gradient graph)', withGradient, 3],
  ] as const) {
    it(`${name}: bit-identical params, AdamW state, losses and norms`, async () => {
      const host = await train(make(new OnnxRuntimeBackend()), programs, micro);
      const resident = await train(make(new CapiBackend()), programs, micro);
      expect(host.resident).toBe(false);
      expect(resident.resident).toBe(true);
      expect(resident.params).toEqual(host.params);
      expect(resident.state).toEqual(host.state);
      expect(resident.results).toEqual(host.results);
    });
  }

  it('resumes exactly: state exported from resident tensors and imported into them', async () => {
    const capi = make(new CapiBackend());
    const whole = await train(capi, fused, 1);
    const first = await TrainSession.create(capi, fused(), init());
    for (const [i, lr] of LRS.slice(0, 2).entries()) await first.step(batch(10 * i), lr);
    const snapshot = first.store.exportState();
    const resumed = await TrainSession.create(capi, fused(), { ...first.params });
    await first.dispose();
    resumed.store.importState(snapshot);
    for (const [i, lr] of LRS.entries()) if (i >= 2) await resumed.step(batch(10 * i), lr);
    expect({ ...resumed.params }).toEqual(whole.params);
    expect(resumed.store.exportState()).toEqual(whole.state);
    await resumed.dispose();
  });

  it('reads resident params only when a key is touched', async () => {
    const s = await TrainSession.create(make(new CapiBackend()), fused(), init());
    await s.step(batch(1), 0.1);
    const params = s.params;
    expect(Object.getOwnPropertyDescriptor(params, 'W')?.get).toBeTypeOf('function');
    expect(params.W).toBe(params.W); // read once, then cached
    expect(params.W!.dims).toEqual([3, 4]);
    await s.dispose();
  });

  it('keeps the grouped update (memory_saving) on host tensors', async () => {
    const groups = { gradient: buildAccumulateStep(spec(), { fresh: true }), applyGroups: [buildApplyStep(spec())] };
    const s = await TrainSession.create(make(new CapiBackend()), groups, init());
    expect(s.resident).toBe(false);
    await s.dispose();
  });
});

describe('TrainSession updates resident state in place where the step graph proves it', () => {
  /** The resident tensors a backend creates, counted. */
  function counting(backend: CapiBackend) {
    const created: string[] = [];
    const create = backend.resident.create;
    Object.defineProperty(backend, 'resident', { value: { create: (source: Parameters<typeof create>[0]) => (created.push(source.dims.join('x')), create(source)) } });
    return created;
  }

  it('one tensor per param and moment for a clipped AdamW step (no ping-pong set), same results as host tensors', async () => {
    const capi = make(new CapiBackend());
    const created = counting(capi);
    const resident = await train(capi, () => ({ trainStep: buildTrainStep(spec()) }), 1);
    expect(created).toHaveLength(2 * 3); // W and b, each with exp_avg and exp_avg_sq
    const host = await train(make(new OnnxRuntimeBackend()), () => ({ trainStep: buildTrainStep(spec()) }), 1);
    expect(resident.params).toEqual(host.params);
    expect(resident.state).toEqual(host.state);
  });

  it('one gradient set for accumulation, whose graph only adds to the old gradient', async () => {
    const capi = make(new CapiBackend());
    const created = counting(capi);
    const programs = () => ({ accumulate: buildAccumulateStep(spec()), apply: buildApplyStep(spec()) });
    const resident = await train(capi, programs, 3);
    expect(created).toHaveLength(2 * 3 + 2);
    expect(resident.params).toEqual((await train(make(new OnnxRuntimeBackend()), programs, 3)).params);
  });

  it('keeps a spare for a param another node still reads after its update could run (no clipping, two layers)', async () => {
    const twoLayer = () => {
      const g = new Graph('two-layer');
      const W1 = g.input('W', 'float32', [3, 4]);
      const W2 = g.input('b', 'float32', [4, 4]);
      const x = g.input('x', 'float32', ['batch', 3]);
      const y = g.input('y', 'float32', ['batch', 4]);
      const d = g.sub(g.matmul(g.matmul(x, W1), W2), y);
      return { trainStep: buildTrainStep({ graph: g, loss: g.reduceMean(g.mul(d, d)), params: [W1, W2], optimizer: new AdamW(), maxGradNorm: null }) };
    };
    const init2 = { W: init().W!, b: { dtype: 'float32', dims: [4, 4], data: seeded(16, 3) } } as const;
    const run = async (executor: GraphExecutor) => {
      const s = await TrainSession.create(executor, twoLayer(), init2);
      for (const [i, lr] of LRS.entries()) await s.step(batch(10 * i), lr);
      const out = { params: { ...s.params }, state: s.store.exportState() };
      await s.dispose();
      return out;
    };
    const capi = make(new CapiBackend());
    const created = counting(capi);
    const resident = await run(capi);
    expect(created.filter((dims) => dims === '4x4')).toHaveLength(3 + 1); // the second layer's weight alternates with a spare
    expect(created).toHaveLength(2 * 3 + 1);
    const host = await run(make(new OnnxRuntimeBackend()));
    expect(resident.params).toEqual(host.params);
    expect(resident.state).toEqual(host.state);
  });
});
