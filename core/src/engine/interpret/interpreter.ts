import type { HostTensor } from '../graph-executor.js';
import { evalDim, isStaticDim, shapeToString, type Dim } from '../ir/dim.js';
import type { Graph } from '../ir/graph.js';
import { opRegistry, type DimEnv } from '../ir/op-def.js';
import type { Node, Tensor } from '../ir/tensor.js';
import { fromHost, toHost, type NdArray } from './nd-array.js';
import '../ops/all.js';

/**
 * A plain float64 interpreter of the IR: the independent reference for gradient checks and the
 * evaluator behind constant folding. It also checks every computed shape against shape inference,
 * binding symbolic dims on first sight.
 */
export class Interpreter implements DimEnv {
  private readonly bindings = new Map<string, number>();
  private readonly values = new Map<number, NdArray>();

  constructor(private readonly graph: Graph) {}

  resolve(d: Dim): number {
    const v = evalDim(d, (s) => this.bindings.get(s));
    if (v === undefined) throw new Error(`interpreter: symbolic dim ${d} is not bound yet`);
    return v;
  }

  run(feeds: Readonly<Record<string, HostTensor | NdArray>>, outputs: readonly Tensor[]): NdArray[] {
    for (const t of this.graph.inputs) {
      const f = feeds[t.name as string];
      if (f) this.set(t, 'data' in f && f.data instanceof Float64Array ? (f as NdArray) : fromHost(f as HostTensor));
    }
    for (const node of this.schedule(outputs)) this.exec(node);
    return outputs.map((o) => this.get(o));
  }

  runHost(feeds: Readonly<Record<string, HostTensor>>, outputs: Readonly<Record<string, Tensor>>): Record<string, HostTensor> {
    const names = Object.keys(outputs);
    const vals = this.run(feeds, names.map((n) => outputs[n]));
    return Object.fromEntries(names.map((n, i) => [n, toHost(vals[i])]));
  }

  private schedule(outputs: readonly Tensor[]): Node[] {
    const need = new Set<Node>();
    const stack = [...outputs];
    while (stack.length) {
      const t = stack.pop() as Tensor;
      if (!t.producer || need.has(t.producer) || this.values.has(t.id)) continue;
      need.add(t.producer);
      stack.push(...t.producer.inputs);
    }
    return this.graph.nodes.filter((n) => need.has(n));
  }

  private exec(node: Node): void {
    const ins = node.inputs.map((t) => this.get(t));
    const outs = opRegistry.require(node.op).evaluate(ins, node.attrs, this);
    node.outputs.forEach((o, i) => this.set(o, outs[i]));
  }

  private get(t: Tensor): NdArray {
    const v = this.values.get(t.id);
    if (!v) throw new Error(`interpreter: no value for ${t} (missing feed?)`);
    return v;
  }

  private set(t: Tensor, v: NdArray): void {
    if (v.dims.length !== t.rank) throw new Error(`interpreter: ${t} computed with dims [${v.dims}]`);
    t.shape.forEach((d, i) => this.bind(t, d, v.dims[i]));
    this.values.set(t.id, { ...v, dtype: t.dtype });
  }

  private bind(t: Tensor, d: Dim, actual: number): void {
    if (isStaticDim(d)) {
      if (d !== actual) throw new Error(`interpreter: ${t} expected ${shapeToString(t.shape)}, got dim ${actual}`);
      return;
    }
    const known = evalDim(d, (s) => this.bindings.get(s));
    if (known === undefined) this.bindings.set(d, actual);
    else if (known !== actual) throw new Error(`interpreter: dim ${d} of ${t} is ${actual}, elsewhere ${known}`);
  }
}

/** Evaluates `outputs` of `graph` on `feeds` in float64. */
export function interpret(graph: Graph, feeds: Readonly<Record<string, HostTensor>>, outputs: Readonly<Record<string, Tensor>>): Record<string, HostTensor> {
  return new Interpreter(graph).runHost(feeds, outputs);
}
