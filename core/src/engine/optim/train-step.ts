import { grad } from '../autodiff/grad.js';
import { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { emitModel } from '../onnx/emit-model.js';
import type { OnnxModel } from '../onnx/onnx-model.js';
import { clipGradNorm, globalGradNorm } from './clip.js';
import type { GraphOptimizer } from './optimizer.js';

/** Input/output naming shared by every step graph and the runtime. */
export const stepNames = {
  lr: 'lr',
  step: 'step',
  loss: 'loss',
  gradNorm: 'grad_norm',
  lossScale: 'loss_scale',
  /** Dynamic loss scaling's factor S (float16 mixed precision): the backward is seeded with S, gradients unscaled by 1/S. */
  ampScale: 'amp_scale',
  state: (param: string, slot: string) => `${param}::${slot}`,
  grad: (param: string) => `${param}::grad`,
  next: (name: string) => `${name}::next`,
};

export interface TrainStepSpec {
  /** The graph holding the loss; trainable parameters are graph inputs of it. */
  graph: Graph;
  loss: Tensor;
  params: readonly Tensor[];
  optimizer: GraphOptimizer;
  /** Global 2-norm clipping; 0/null/undefined disables (the norm is still reported). */
  maxGradNorm?: number | null;
  /** Extra scalars to output each step (e.g. accuracy, KL). */
  metrics?: Readonly<Record<string, Tensor>>;
  /** Gradient checkpointing: the backward recomputes each segment (decoder layer) from its input. */
  recompute?: boolean;
  /**
   * Dynamic loss scaling (torch's GradScaler, in the graph): an `amp_scale` input S seeds the backward (∂(S·loss)),
   * the gradients are multiplied by 1/S before clipping and the update, and a non-finite gradient norm leaves every
   * parameter and optimizer state as it was (the step is skipped; `grad_norm` says so). Fused train steps only.
   */
  lossScaling?: boolean;
}

/** Everything the runtime needs to drive a compiled step graph. */
export interface StepProgram {
  readonly model: OnnxModel;
  readonly kind: 'train-step' | 'gradient' | 'accumulate' | 'norm' | 'apply' | 'loop';
  readonly params: ReadonlyArray<{ name: string; dtype: Tensor['dtype']; dims: number[] }>;
  readonly optimizer: string;
  readonly slots: readonly string[];
  /** Non-parameter, non-state inputs (the batch), in declaration order. */
  readonly batchInputs: readonly string[];
  readonly metrics: readonly string[];
}

function paramInfo(params: readonly Tensor[]): StepProgram['params'] {
  return params.map((p) => {
    if (!p.name || p.producer) throw new Error('params must be graph inputs');
    if (!p.shape.every((d) => typeof d === 'number')) throw new Error(`param ${p.name} must have a static shape`);
    return { name: p.name, dtype: p.dtype, dims: p.shape as number[] };
  });
}

/**
 * Adds lr/step inputs, optimizer state inputs, clipping and updates; returns the named outputs. With
 * `totalNorm` the clipping uses that norm (of all gradients, when `grads` are one group of them).
 */
export function addOptimizerStep(g: Graph, params: readonly Tensor[], grads: readonly Tensor[], optimizer: GraphOptimizer, maxGradNorm: number | null | undefined, totalNorm?: Tensor): Map<string, Tensor> {
  const lr = g.input(stepNames.lr, 'float64', []);
  const step = g.input(stepNames.step, 'float64', []);
  const clipped = clipGradNorm(g, grads, maxGradNorm, totalNorm);
  const out = new Map<string, Tensor>();
  params.forEach((p, i) => {
    const name = p.name as string;
    const state = optimizer.slots.map((s) => g.input(stepNames.state(name, s), p.dtype, p.shape));
    // The clipped gradient is only built (a pass over it) when the optimizer cannot fold the coefficient.
    const u = clipped.coef && optimizer.foldsGradScale
      ? optimizer.update(g, name, p, grads[i], state, { lr, step, gradScale: clipped.coef })
      : optimizer.update(g, name, p, clipped.grads[i], state, { lr, step });
    out.set(stepNames.next(name), u.param);
    optimizer.slots.forEach((s, k) => out.set(stepNames.next(stepNames.state(name, s)), u.state[k]));
  });
  out.set(stepNames.gradNorm, clipped.norm);
  return out;
}

/** Every `<x>::next` output becomes `x` itself unless the gradient norm is finite: an overflowed step changes nothing. */
function keepOnOverflow(g: Graph, out: Map<string, Tensor>): void {
  const norm = out.get(stepNames.gradNorm)!;
  const finite = g.less(g.abs(norm), g.scalar(Infinity, norm.dtype)); // false for ±inf and NaN
  const inputs = new Map(g.inputs.map((t) => [t.name, t]));
  for (const [name, next] of out) {
    const current = name === stepNames.gradNorm ? undefined : inputs.get(name.slice(0, -stepNames.next('').length));
    if (current) out.set(name, g.where(finite, next, current));
  }
}

function batchInputs(g: Graph, model: OnnxModel, exclude: Set<string>): string[] {
  void g;
  return model.graph.input.map((i) => i.name).filter((n) => !exclude.has(n));
}

function reserved(params: readonly Tensor[], optimizer: GraphOptimizer, extra: string[]): Set<string> {
  const names = new Set<string>([stepNames.lr, stepNames.step, stepNames.lossScale, ...extra]);
  for (const p of params) {
    names.add(p.name as string);
    names.add(stepNames.grad(p.name as string));
    for (const s of optimizer.slots) names.add(stepNames.state(p.name as string, s));
  }
  return names;
}

function withMetrics(out: Map<string, Tensor>, metrics: TrainStepSpec['metrics']): Map<string, Tensor> {
  for (const [k, v] of Object.entries(metrics ?? {})) out.set(k, v);
  return out;
}

/**
 * One graph = forward + backward + clip + optimizer. Inputs: params, state, batch, lr, step.
 * Outputs: `<p>::next`, `<p>::<slot>::next`, loss, grad_norm, metrics.
 */
export function buildTrainStep(spec: TrainStepSpec): StepProgram {
  const { graph: g, loss, params, optimizer } = spec;
  const scale = spec.lossScaling ? g.input(stepNames.ampScale, 'float32', []) : undefined;
  const grads = grad(g, loss, params, scale && g.cast(scale, loss.dtype), { recompute: spec.recompute });
  const unscaled = scale ? grads.map((d) => g.mul(d, g.cast(g.reciprocal(scale), d.dtype))) : grads;
  const out = addOptimizerStep(g, params, unscaled, optimizer, spec.maxGradNorm);
  if (scale) keepOnOverflow(g, out);
  out.set(stepNames.loss, loss);
  const model = emitModel(g, { outputs: withMetrics(out, spec.metrics), name: 'train_step' });
  return program(model, 'train-step', spec, batchInputs(g, model, reserved(params, optimizer, [])));
}

function program(model: OnnxModel, kind: StepProgram['kind'], spec: TrainStepSpec, batch: string[]): StepProgram {
  return {
    model,
    kind,
    params: paramInfo(spec.params),
    optimizer: spec.optimizer.kind,
    slots: spec.optimizer.slots,
    batchInputs: batch,
    metrics: Object.keys(spec.metrics ?? {}),
  };
}

/**
 * Gradient accumulation, half 1: `<p>::grad::next = <p>::grad + loss_scale · ∂loss/∂p` for one
 * micro-batch (loss_scale is typically 1/num_micro_batches). Outputs loss (unscaled) and metrics.
 * `fresh` builds the first micro-batch's graph, `loss_scale · ∂loss/∂p` with no accumulator input, so no
 * zero buffers are fed (the grouped update uses it for every step).
 */
export function buildAccumulateStep(spec: TrainStepSpec, { fresh = false } = {}): StepProgram {
  const { graph: g, loss, params } = spec;
  const scale = g.input(stepNames.lossScale, loss.dtype, []);
  const grads = grad(g, loss, params, g.fill(loss.shape, 1, loss.dtype), { recompute: spec.recompute });
  const out = new Map<string, Tensor>();
  params.forEach((p, i) => {
    const scaled = g.mul(grads[i], g.cast(scale, p.dtype));
    const name = stepNames.grad(p.name as string);
    out.set(stepNames.next(name), fresh ? scaled : g.add(g.input(name, p.dtype, p.shape), scaled));
  });
  out.set(stepNames.loss, loss);
  const kind = fresh ? 'gradient' : 'accumulate';
  const model = emitModel(g, { outputs: withMetrics(out, spec.metrics), name: kind });
  return program(model, kind, spec, batchInputs(g, model, reserved(params, spec.optimizer, [])));
}

type ApplySpec = Pick<TrainStepSpec, 'params' | 'optimizer' | 'maxGradNorm'>;

/**
 * Gradient accumulation, half 2: clip + optimizer over the accumulated `<p>::grad` inputs. With
 * `externalNorm`, the params are one group of all and the global norm is the `grad_norm` input (from
 * `buildNormStep`), so clipping matches the one-run update exactly.
 */
export function buildApplyStep(spec: ApplySpec, { externalNorm = false, name = 'apply' } = {}): StepProgram {
  const g = new Graph(name);
  const params = spec.params.map((p) => g.input(p.name as string, p.dtype, p.shape));
  const grads = params.map((p) => g.input(stepNames.grad(p.name as string), p.dtype, p.shape));
  const norm = externalNorm ? g.input(stepNames.gradNorm, 'float64', []) : undefined;
  const out = addOptimizerStep(g, params, grads, spec.optimizer, spec.maxGradNorm, norm);
  if (norm) out.delete(stepNames.gradNorm); // an input is not re-emitted as an output
  const inputs = [...params, ...grads, ...g.inputs.filter((t) => !params.includes(t) && !grads.includes(t))];
  const model = emitModel(g, { outputs: out, inputs, name });
  return { model, kind: 'apply', params: paramInfo(params), optimizer: spec.optimizer.kind, slots: spec.optimizer.slots, batchInputs: [], metrics: [] };
}

/** The global gradient norm over every `<p>::grad` input: one read pass, one scalar out. */
export function buildNormStep(spec: ApplySpec): StepProgram {
  const g = new Graph('grad_norm');
  const grads = spec.params.map((p) => g.input(stepNames.grad(p.name as string), p.dtype, p.shape));
  const model = emitModel(g, { outputs: new Map([[stepNames.gradNorm, globalGradNorm(g, grads)]]), name: 'grad_norm' });
  return { model, kind: 'norm', params: paramInfo(spec.params), optimizer: spec.optimizer.kind, slots: spec.optimizer.slots, batchInputs: [], metrics: [] };
}

/**
 * Splits params into consecutive groups of at most `groupBytes` (a larger tensor is a group alone), for
 * updates run group by group: onnxruntime-node returns each output in a fresh buffer, so a one-run update
 * holds old and new weights and optimizer state at once; per group, only one group's worth coexists.
 * Smallest groups first: by the time the largest runs, the others' gradients are freed, lowering its peak.
 */
export function paramGroups<T extends Pick<Tensor, 'dtype' | 'shape'>>(params: readonly T[], groupBytes: number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const p of params) {
    const size = tensorBytes(p);
    if (current.length && bytes + size > groupBytes) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(p);
    bytes += size;
  }
  if (current.length) groups.push(current);
  return groups.sort((a, b) => totalBytes(a) - totalBytes(b));
}

const DTYPE_BYTES: Record<Tensor['dtype'], number> = { float64: 8, int64: 8, float32: 4, int32: 4, float16: 2, bfloat16: 2, bool: 1, uint8: 1, uint16: 2 };

/** Bytes of statically shaped tensors, together. */
export function totalBytes(ts: ReadonlyArray<Pick<Tensor, 'dtype' | 'shape'>>): number {
  return ts.reduce((sum, t) => sum + tensorBytes(t), 0);
}

/** Bytes of a statically shaped tensor. */
export function tensorBytes(t: Pick<Tensor, 'dtype' | 'shape'>): number {
  return (t.shape as number[]).reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
}
