import type { Graph } from '../ir/graph.js';
import type { Node, Tensor } from '../ir/tensor.js';
import { isFloat } from '../ops/elementwise.js';

/**
 * Gradient checkpointing: the backward pass of a segment (a decoder layer, see `Graph.beginSegment`) runs on a
 * recomputed copy of the segment's forward nodes instead of the forward's own outputs, so the forward's
 * activations die as the forward moves on and only one layer's are alive again during the backward.
 *
 * The copy starts from the segment's inputs gated on the gradient arriving at the segment (x + 0·Σ dy): without
 * that data dependency onnxruntime may run the recomputation as early as the forward, keeping everything alive
 * anyway. x + 0 is x exactly, so the gradients are the same values.
 */
export class Recomputation {
  private readonly segments = new Map<number, Node[]>();
  private readonly copies = new Map<Node, Node>();

  constructor(
    private readonly g: Graph,
    nodes: readonly Node[],
  ) {
    for (const node of nodes) {
      if (node.segment === undefined) continue;
      const members = this.segments.get(node.segment);
      if (members) members.push(node);
      else this.segments.set(node.segment, [node]);
    }
  }

  /** The node whose tensors `node`'s gradient rule reads: its recomputed copy inside a segment, else itself. */
  source(node: Node, dys: ReadonlyArray<Tensor | undefined>): Node {
    if (node.segment === undefined || node.inputs.length === 0) return node;
    if (!this.copies.has(node)) this.replay(node.segment, dys.find((d) => d !== undefined)!);
    return this.copies.get(node) ?? node;
  }

  private replay(segment: number, arriving: Tensor): void {
    const g = this.g;
    const members = this.segments.get(segment)!;
    const inside = new Set(members);
    const gate = g.mul(g.reduceSum(arriving), 0);
    const copied = new Map<number, Tensor>();
    const input = (t: Tensor): Tensor => {
      const known = copied.get(t.id);
      if (known) return known;
      const external = !t.producer || !inside.has(t.producer);
      if (!external || !t.producer || t.producer.inputs.length === 0 || !isFloat(t.dtype)) return t;
      const gated = g.add(t, g.cast(gate, t.dtype));
      copied.set(t.id, gated);
      return gated;
    };
    for (const node of members) {
      if (node.inputs.length === 0) continue; // constants need no recomputation
      const outputs = g.recompute(node, node.inputs.map(input));
      node.outputs.forEach((t, i) => copied.set(t.id, outputs[i]!));
      this.copies.set(node, outputs[0]!.producer!);
    }
  }
}
