import type { Graph } from '../ir/graph.js';
import { Node, type Segment, type Tensor } from '../ir/tensor.js';
import { isFloat } from '../ops/elementwise.js';

/**
 * Recomputation in the backward pass: a segment's forward nodes (`Graph.beginSegment`, `Graph.inSegment`) are
 * replayed from the segment's inputs when the reverse walk first needs one of their values, and the gradient
 * rules read the replay, so the forward's own values die after their last forward reader. Two kinds of segment
 * share this:
 * - `always`: a frozen weight decoded from its stored form (bf16, quantized). A backward that reads the weight
 *   (dX = dY·Wᵀ) decodes it again rather than keeping the forward's float32 copy, as do values computed from
 *   it and constants only (0.5·Ŵ): those join its segment.
 * - `checkpointing`: a decoder layer, replayed only under gradient checkpointing (`grad({recompute: true})`), so
 *   only one layer's activations are alive again during the backward; the layer's input is kept.
 *
 * Every replay is gated on the gradient arriving at the node that asks for it (`gatedOn`): without that data
 * dependency onnxruntime may run the replay as early as the forward, keeping everything alive anyway. A
 * `checkpointing` replay is also gated on every gradient the previous `checkpointing` replay's rules sent out of
 * their segment (`sent`), its weights' included: otherwise onnxruntime may put off a weight gradient (dW = xᵀ·dy)
 * until after the next replays, keeping each replay's activations alive until then. Independent segments (the LM
 * head's vocabulary chunks) then replay one after the other too.
 */
export class Recomputation {
  /** Each replayed segment's nodes in creation (topological) order; nodes without inputs (constants) are shared. */
  private readonly members = new Map<Segment, Node[]>();
  private readonly segmentOf = new Map<Node, Segment>();
  /** Forward tensor id → its replayed value. */
  private readonly copies = new Map<number, Tensor>();
  private readonly replayed = new Map<Node, Node>();
  /** The last `checkpointing` segment replayed, and the gradients its rules have sent out of it so far. */
  private lastCheckpoint?: Segment;
  private sentOut: Tensor[] = [];

  /** `nodes`: the graph's forward, in creation order; `checkpointing`: replay the `checkpointing` segments too. */
  constructor(
    private readonly g: Graph,
    nodes: readonly Node[],
    checkpointing: boolean,
  ) {
    for (const node of nodes) {
      if (node.inputs.length === 0) continue;
      const own = node.segment && (node.segment.recompute === 'always' || checkpointing) ? node.segment : undefined;
      const segment = own ?? this.derivedSegment(node);
      if (!segment) continue;
      this.segmentOf.set(node, segment);
      const members = this.members.get(segment);
      if (members) members.push(node);
      else this.members.set(segment, [node]);
    }
  }

  /**
   * The node whose tensors `node`'s gradient rule reads: its replay inside a replayed segment; outside one, a view
   * of `node` on decoded-again inputs where it reads an `always` segment's value; else `node` itself.
   */
  source(node: Node, dys: ReadonlyArray<Tensor | undefined>): Node {
    const arriving = dys.find((d) => d !== undefined)!;
    const segment = this.segmentOf.get(node);
    if (segment) {
      if (!this.replayed.has(node)) this.replay(segment, arriving);
      return this.replayed.get(node)!;
    }
    if (!node.inputs.some((t) => this.alwaysReplayed(t))) return node;
    const view = new Node(node.id, node.op, node.inputs.map((t) => (this.alwaysReplayed(t) ? this.again(t, arriving) : t)), node.attrs);
    view.outputs = node.outputs;
    return view;
  }

  /** Takes note of the gradients `node`'s rule sends to tensors outside the last replayed `checkpointing` segment. */
  sent(node: Node, dxs: ReadonlyArray<Tensor | undefined>): void {
    const segment = this.segmentOf.get(node);
    if (!segment || segment !== this.lastCheckpoint) return;
    node.inputs.forEach((t, k) => {
      const dx = dxs[k];
      if (dx && !(t.producer && this.segmentOf.get(t.producer) === segment)) this.sentOut.push(dx);
    });
  }

  /** A value computed from one `always` segment's values and constants only joins that segment. */
  private derivedSegment(node: Node): Segment | undefined {
    let from: Segment | undefined;
    for (const t of node.inputs) {
      if (t.constValue) continue;
      const segment = t.producer && this.segmentOf.get(t.producer);
      if (segment?.recompute !== 'always' || (from && segment !== from)) return undefined;
      from = segment;
    }
    return from;
  }

  /** Whether `t` is an `always` segment's value: read again, never kept, wherever the backward reads it. */
  private alwaysReplayed(t: Tensor): boolean {
    return t.producer !== undefined && this.segmentOf.get(t.producer)?.recompute === 'always';
  }

  /** `t` decoded again: its segment's replay, made on first use. */
  private again(t: Tensor, arriving: Tensor): Tensor {
    if (!this.copies.has(t.id)) this.replay(this.segmentOf.get(t.producer!)!, arriving);
    return this.copies.get(t.id)!;
  }

  /**
   * Copies the segment's nodes (`g.recompute`: never hash-consed into the forward's) onto its inputs: its own
   * values replayed, an `always` segment's value replayed too, the rest as the forward has them. The gate goes on
   * the float inputs the forward computed (a layer's hidden state: a checkpoint, kept), which every value of the
   * segment depends on; a segment without one (a decode reads only its stored parts, graph inputs or initializers)
   * has its sources gated instead. Constants are shared, never gated.
   */
  private replay(segment: Segment, arriving: Tensor): void {
    const members = this.members.get(segment)!;
    const inside = new Set(members);
    const outside = members.flatMap((n) => n.inputs).filter((t) => !(t.producer && inside.has(t.producer)) && !t.constValue && !this.alwaysReplayed(t));
    const computed = outside.filter((t) => !isSource(t) && isFloat(t.dtype));
    const gated = new Set(computed.length > 0 ? computed : outside.filter(isSource));
    const after = segment.recompute === 'checkpointing' ? this.checkpointAfter(segment) : [];
    const input = (t: Tensor): Tensor => {
      if (t.producer && inside.has(t.producer)) return this.copies.get(t.id)!;
      if (this.alwaysReplayed(t)) return this.again(t, arriving);
      return gated.has(t) ? gatedOn(this.g, t, arriving, ...after) : t;
    };
    for (const node of members) {
      const outputs = this.g.recompute(node, node.inputs.map(input));
      node.outputs.forEach((t, i) => this.copies.set(t.id, outputs[i]!));
      this.replayed.set(node, outputs[0]!.producer!);
    }
  }

  /** The gradients the previous `checkpointing` replay sent out; `segment` is the one now replayed. */
  private checkpointAfter(segment: Segment): Tensor[] {
    const after = this.sentOut;
    this.lastCheckpoint = segment;
    this.sentOut = [];
    return after;
  }
}

/** A graph input, initializer or constant: what a graph starts from. */
function isSource(t: Tensor): boolean {
  return !t.producer || t.producer.inputs.length === 0;
}

/**
 * `t` as a value that only exists once `after` (and each of `more`) does (`gate` on `gateCondition`). Hash-consing
 * makes one gate per `after` and `t`.
 */
export function gatedOn(g: Graph, t: Tensor, after: Tensor, ...more: readonly Tensor[]): Tensor {
  return gate(g, t, gateCondition(g, after, ...more));
}

/** A bool scalar computed from one element of `after` and of each of `more`: c == c, true or false (NaN), either serves. */
export function gateCondition(g: Graph, after: Tensor, ...more: readonly Tensor[]): Tensor {
  return [after, ...more]
    .map((a) => {
      const first = g.reshape(g.slice(g.reshape(a, [-1]), 0, 0, 1), []);
      return g.equal(first, first);
    })
    .reduce((all, c) => g.and(all, c));
}

/** `t`, read only once `condition` exists: the Gate op (a Reshape that aliases `t`, no copy), whatever the condition's value. */
export function gate(g: Graph, t: Tensor, condition: Tensor): Tensor {
  return g.apply('Gate', [t, condition])[0]!;
}
