import { grad } from '../autodiff/grad.js';
import type { Tensor } from '../ir/tensor.js';
import { attr } from '../onnx/attr.js';
import { emitScope, ENGINE_IR_VERSION, opsetImports } from '../onnx/emit-model.js';
import { InitializerPool, Lowering, neededNodes, valueInfo } from '../onnx/lowering.js';
import type { OnnxGraph, OnnxModel } from '../onnx/onnx-model.js';
import { addOptimizerStep, stepNames, type StepProgram, type TrainStepSpec } from './train-step.js';

export const loopNames = {
  lrs: 'lrs',
  losses: 'losses',
  gradNorms: 'grad_norms',
  /** The leading (step) axis of stacked batch inputs. */
  stepsDim: 'steps',
};

const body = {
  iter: 'loop::iter',
  cond: 'loop::cond',
  condOut: 'loop::cond_out',
  lr: 'loop::lr',
  step: 'loop::step',
  carried: (name: string) => `${name}::in`,
  carriedOut: (name: string) => `${name}::out`,
  slice: (name: string) => `${name}::slice`,
  loss: 'loop::loss',
  gradNorm: 'loop::grad_norm',
};

/**
 * K train steps in one run: an ONNX Loop whose body is the fused train step. Params and optimizer
 * state are loop-carried; iteration i reads batch slice i (Gather on the leading axis of each batch
 * input) and lr `lrs[i]`; the step number is `step + i`. K is the length of `lrs` at run time.
 * Outputs the final params/state as `<name>::next` and per-step `losses` and `grad_norms`.
 */
export function buildLoopTrainStep(spec: TrainStepSpec, contribOps = true): StepProgram {
  const { graph: g, loss, params, optimizer } = spec;
  const grads = grad(g, loss, params, undefined, { recompute: spec.recompute });
  const updates = addOptimizerStep(g, params, grads, optimizer, spec.maxGradNorm);
  const gradNorm = updates.get(stepNames.gradNorm) as Tensor;
  updates.delete(stepNames.gradNorm);
  const carried = [...updates.entries()].map(([next, t]) => ({ name: next.slice(0, -'::next'.length), next, t }));
  const byName = new Map(g.inputs.map((t) => [t.name as string, t]));
  const lr = byName.get(stepNames.lr) as Tensor;
  const step = byName.get(stepNames.step) as Tensor;
  const carriedIn = carried.map((c) => byName.get(c.name) as Tensor);

  const used = new Set(neededNodes(g.nodes, [...updates.values(), loss, gradNorm]).flatMap((n) => n.inputs.map((t) => t.id)));
  const special = new Set([lr.id, step.id, ...carriedIn.map((t) => t.id)]);
  const batch = g.inputs.filter((t) => used.has(t.id) && !special.has(t.id));

  const pool = new InitializerPool();
  const lowering = new Lowering(pool, contribOps);
  const bound = new Map<number, string>();
  const bind = (t: Tensor, name: string) => {
    lowering.bind(t, name);
    bound.set(t.id, name);
  };
  lowering.add('Gather', [loopNames.lrs, body.iter], [body.lr], { axis: attr.int(0) });
  const [it] = lowering.add('Cast', [body.iter], 1, { to: attr.int(11) });
  lowering.add('Add', [it, stepNames.step], [body.step]);
  bind(lr, body.lr);
  bind(step, body.step);
  carriedIn.forEach((t) => bind(t, body.carried(t.name as string)));
  for (const b of batch) {
    lowering.add('Gather', [b.name as string, body.iter], [body.slice(b.name as string)], { axis: attr.int(0) });
    bind(b, body.slice(b.name as string));
  }
  lowering.add('Identity', [body.cond], [body.condOut]);
  const outs: Array<[string, Tensor]> = [...carried.map((c): [string, Tensor] => [body.carriedOut(c.name), c.t]), [body.loss, loss], [body.gradNorm, gradNorm]];
  const scope = emitScope(g, pool, contribOps, outs, [], lowering, bound);
  const bodyGraph: OnnxGraph = {
    name: 'train_step_body',
    node: scope.node,
    input: [
      { name: body.iter, elemType: 7, shape: [] },
      { name: body.cond, elemType: 9, shape: [] },
      ...carriedIn.map((t) => valueInfo(body.carried(t.name as string), t)),
    ],
    output: [{ name: body.condOut, elemType: 9, shape: [] }, ...scope.output],
  };
  const outer = outerGraph(bodyGraph, pool, carried, carriedIn, batch, loss, gradNorm);
  const model: OnnxModel = { irVersion: ENGINE_IR_VERSION, opsetImport: opsetImports(contribOps), producerName: 'aligntune', graph: outer };
  return {
    model,
    kind: 'loop',
    params: params.map((p) => ({ name: p.name as string, dtype: p.dtype, dims: p.shape as number[] })),
    optimizer: optimizer.kind,
    slots: optimizer.slots,
    batchInputs: batch.map((b) => b.name as string),
    metrics: [],
  };
}

function outerGraph(
  bodyGraph: OnnxGraph,
  pool: InitializerPool,
  carried: Array<{ name: string; next: string; t: Tensor }>,
  carriedIn: Tensor[],
  batch: Tensor[],
  loss: Tensor,
  gradNorm: Tensor,
): OnnxGraph {
  const [shape] = [pool.fresh('v')];
  const [trip] = [pool.fresh('v')];
  const node = [
    { opType: 'Shape', input: [loopNames.lrs], output: [shape] },
    { opType: 'Squeeze', input: [shape, pool.ints([0])], output: [trip] },
    {
      opType: 'Loop',
      input: [trip, '', ...carriedIn.map((t) => t.name as string)],
      output: [...carried.map((c) => c.next), loopNames.losses, loopNames.gradNorms],
      attribute: [{ name: 'body', value: { type: 'graph' as const, value: bodyGraph } }],
    },
  ];
  const steps = loopNames.stepsDim;
  return {
    name: 'train_steps_loop',
    node,
    input: [
      ...carriedIn.map((t) => valueInfo(t.name as string, t)),
      ...batch.map((b) => valueInfo(b.name as string, { dtype: b.dtype, shape: [steps, ...b.shape] })),
      valueInfo(loopNames.lrs, { dtype: 'float64', shape: [steps] }),
      valueInfo(stepNames.step, { dtype: 'float64', shape: [] }),
    ],
    output: [
      ...carried.map((c) => valueInfo(c.next, c.t)),
      valueInfo(loopNames.losses, { dtype: loss.dtype, shape: [steps] }),
      valueInfo(loopNames.gradNorms, { dtype: gradNorm.dtype, shape: [steps] }),
    ],
    initializer: pool.tensors,
  };
}
