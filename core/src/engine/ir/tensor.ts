import type { DType, HostTensor } from '../graph-executor.js';
import type { Dim, Shape } from './dim.js';

export type AttrValue = number | string | boolean | readonly Dim[] | HostTensor;
export type Attrs = Readonly<Record<string, AttrValue>>;

export interface TensorType {
  readonly dtype: DType;
  readonly shape: Shape;
}

/** A value in the IR graph: a graph input, an initializer, or the output of a node. */
export class Tensor implements TensorType {
  constructor(
    readonly id: number,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly producer: Node | undefined,
    readonly index: number,
    readonly name?: string,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  /** The constant's data when this tensor is produced by a Constant node. */
  get constValue(): HostTensor | undefined {
    return this.producer?.op === 'Constant' ? (this.producer.attrs.value as HostTensor) : undefined;
  }

  toString(): string {
    return `${this.name ?? `t${this.id}`}:${this.dtype}[${this.shape.join(',')}]`;
  }
}

/**
 * A run of forward nodes the backward pass replays from their inputs instead of keeping their outputs
 * (autodiff/recompute.ts): `always`, for a frozen weight's decode, or only under gradient checkpointing, for a
 * decoder layer. Compared by identity.
 */
export interface Segment {
  readonly recompute: 'always' | 'checkpointing';
}

export class Node {
  outputs: Tensor[] = [];
  /** The recompute segment the node was built in, if any; see `Segment`. */
  segment?: Segment;
  constructor(
    readonly id: number,
    readonly op: string,
    readonly inputs: readonly Tensor[],
    readonly attrs: Attrs,
  ) {}
}

export function attrNum(attrs: Attrs, key: string, dflt?: number): number {
  const v = attrs[key] ?? dflt;
  if (typeof v !== 'number') throw new Error(`attribute ${key} must be a number`);
  return v;
}

export function attrBool(attrs: Attrs, key: string, dflt = false): boolean {
  const v = attrs[key] ?? dflt;
  return v === true || v === 1;
}

export function attrDims(attrs: Attrs, key: string): Dim[] {
  const v = attrs[key];
  if (!Array.isArray(v)) throw new Error(`attribute ${key} must be a list`);
  return [...(v as Dim[])];
}

export function attrInts(attrs: Attrs, key: string): number[] {
  return attrDims(attrs, key).map((d) => {
    if (typeof d !== 'number') throw new Error(`attribute ${key} must be static integers`);
    return d;
  });
}
