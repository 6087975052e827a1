import { OnnxRuntimeBackend } from '@aligntune/plugin-backend-onnxruntime';
import {
  emitModel,
  encodeModel,
  grad,
  hostTensor,
  hostValues,
  Interpreter,
  SeededRandom,
  type CompiledGraph,
  type DType,
  type Graph,
  type HostTensor,
  type Tensor,
} from '@aligntune/core';

let shared: OnnxRuntimeBackend | undefined;

export function backend(): OnnxRuntimeBackend {
  shared ??= new OnnxRuntimeBackend().configure({ intraOpNumThreads: 2 });
  return shared;
}

export async function compile(g: Graph, outputs: Record<string, Tensor>, inputs?: Tensor[]): Promise<CompiledGraph> {
  const model = emitModel(g, { outputs, inputs });
  return backend().compile(encodeModel(model), { label: g.label });
}

/** Deterministic uniform floats in [0, 1) (core's SeededRandom) so failures reproduce. */
export function rng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.nextFloat();
}

export function randn(r: () => number, n: number, scale = 1): number[] {
  return Array.from({ length: n }, () => {
    const u = Math.max(r(), 1e-12);
    return scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  });
}

export function rand(dtype: DType, dims: number[], r: () => number, scale = 1): HostTensor {
  return hostTensor(dtype, dims, randn(r, dims.reduce((a, b) => a * b, 1), scale));
}

export function values(t: HostTensor): number[] {
  return Array.from(hostValues(t));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export interface GradCheckCase {
  /** Builds the function under test; returns a tensor (reduced to a scalar by a random projection). */
  build(g: Graph): { out: Tensor; wrt: Tensor[] };
  feeds: Record<string, HostTensor>;
  dtype: DType;
  seed?: number;
}

export interface GradCheckResult {
  /** Worst |analytic − numeric| / max(1, |numeric|) over the probed coordinates. */
  maxRelErr: number;
  /** Worst |ORT − interpreter| over the forward output and analytic gradients. */
  maxInterpDiff: number;
  probes: number;
}

/**
 * Compares ORT-computed gradients of L = Σ out·R (R random) with central differences of L, also run
 * in ORT, and the forward/gradient values with the float64 interpreter.
 */
export async function gradCheck(c: GradCheckCase, g: Graph, probesPerInput = 6): Promise<GradCheckResult> {
  const r = rng(c.seed ?? 7);
  const { out, wrt } = c.build(g);
  const concreteDims = [...new Interpreter(g).run(c.feeds, [out])[0].dims];
  const proj = g.input('__proj', out.dtype, out.shape);
  const loss = g.reduceSum(g.mul(out, proj));
  const grads = grad(g, loss, wrt);
  const outputs: Record<string, Tensor> = { loss, out };
  grads.forEach((d, i) => (outputs[`d_${i}`] = d));
  const feeds = { ...c.feeds, __proj: rand(out.dtype, concreteDims, r) };
  const session = await compile(g, outputs);
  const base = await session.run(feeds);
  const interp = new Interpreter(g).runHost(feeds, outputs);
  let maxInterpDiff = 0;
  for (const k of Object.keys(outputs)) maxInterpDiff = Math.max(maxInterpDiff, maxAbsDiff(values(base[k]), values(interp[k])));
  let maxRelErr = 0;
  let probes = 0;
  const h = c.dtype === 'float64' ? 1e-6 : 1e-2;
  for (let i = 0; i < wrt.length; i++) {
    const name = wrt[i].name as string;
    const x0 = values(c.feeds[name]);
    const analytic = values(base[`d_${i}`]);
    for (let p = 0; p < probesPerInput; p++) {
      const j = Math.floor(r() * x0.length);
      const at = async (delta: number) => {
        const x = [...x0];
        x[j] += delta;
        const o = await session.run({ ...feeds, [name]: hostTensor(c.dtype, [...c.feeds[name].dims], x) }, ['loss']);
        return values(o.loss)[0];
      };
      const numeric = ((await at(h)) - (await at(-h))) / (2 * h);
      maxRelErr = Math.max(maxRelErr, Math.abs(analytic[j] - numeric) / Math.max(1, Math.abs(numeric)));
      probes++;
    }
  }
  await session.dispose();
  return { maxRelErr, maxInterpDiff, probes };
}

