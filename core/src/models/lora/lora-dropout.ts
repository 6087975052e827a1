import type { HostTensor } from '../../engine/graph-executor.js';
import type { Graph } from '../../engine/ir/graph.js';
import type { Tensor } from '../../engine/ir/tensor.js';
import { SeededRandom } from '../../util/seeded-random.js';

/** The int64 scalar a training graph with LoRA dropout takes: this micro-batch's dropout key (see `loraDropoutSeed`). */
export const LORA_DROPOUT_SEED = 'lora_dropout_seed';

/**
 * The hash works modulo this prime (2²⁶ − 5) in float64: every square of a residue is below 2⁵² and every value is an
 * integer float64 holds exactly, so the vectorised float64 ops give the same bits as integer arithmetic.
 */
export const DROPOUT_PRIME = 67108859;
/** Multiplier of the first round (the MINSTD generator's), spreading neighbouring positions apart. */
export const DROPOUT_SPREAD = 48271;
/** Added in the last round so that 0 is no fixed point of the squaring. */
export const DROPOUT_OFFSET = 12345;

/** Per graph: the seed input (declared once) and how often each module's adapter was applied (a fresh mask per call, as PEFT draws one per forward). */
const seeds = new WeakMap<Graph, Tensor>();
const calls = new WeakMap<Graph, Map<string, number>>();

/** The key of one micro-batch's masks: from the run's seed, the optimizer step and the micro-batch, so a resumed run draws the same masks. */
export function loraDropoutSeed(runSeed: number, step: number, microBatch: number): HostTensor {
  const key = new SeededRandom(runSeed, `lora-dropout:${step}:${microBatch}`).nextUint32() % DROPOUT_PRIME;
  return { dtype: 'int64', dims: [], data: BigInt64Array.of(BigInt(key)) };
}

/** A module's salt for its `call`-th application in a graph, so each layer (and call) draws its own mask. */
export function dropoutSalt(module: string, call: number): number {
  return new SeededRandom(0, `lora-dropout:${module}#${call}`).nextUint32() % DROPOUT_PRIME;
}

/**
 * PEFT's nn.Dropout(p) on the adapter's input, in training graphs: x·mask with mask 1/(1−p) where kept, 0 where
 * dropped. The mask is a counter-based hash of each element's flat index, the fed seed and the layer's salt, in
 * float64 Mul/Add/Div and a truncating Cast (every onnxruntime CPU build has them; measured 12 % faster than the
 * same hash in int64); computed once in the graph, it is the same tensor in the forward and the backward. With
 * s = (seed + salt) mod P and i the flat index (exact while i·SPREAD < 2⁵³, i.e. below 10¹¹ elements):
 * h₁ = (i·SPREAD + s) mod P, h₂ = (h₁² + s) mod P, h₃ = (h₂² + i) mod P, h = (h₃² + OFFSET) mod P; kept when h ≥ ⌊p·P⌋.
 */
export function loraDropout(g: Graph, x: Tensor, p: number, module: string): Tensor {
  const used = calls.get(g) ?? new Map<string, number>();
  calls.set(g, used);
  const call = used.get(module) ?? 0;
  used.set(module, call + 1);
  let seed = seeds.get(g);
  if (!seed) seeds.set(g, (seed = g.input(LORA_DROPOUT_SEED, 'int64', [])));
  const prime = g.scalar(DROPOUT_PRIME, 'float64');
  // v − ⌊v/P⌋·P; v ≥ 0, so the Cast's truncation is the floor
  const mod = (v: Tensor) => g.sub(v, g.mul(g.cast(g.cast(g.div(v, prime), 'int64'), 'float64'), prime));
  const s = mod(g.cast(g.add(seed, g.scalar(dropoutSalt(module, call), 'int64')), 'float64'));
  const i = g.cast(flatIndex(g, x), 'float64');
  const h1 = mod(g.add(g.mul(i, g.scalar(DROPOUT_SPREAD, 'float64')), s));
  const h2 = mod(g.add(g.mul(h1, h1), s));
  const h3 = mod(g.add(g.mul(h2, h2), i));
  const h = mod(g.add(g.mul(h3, h3), g.scalar(DROPOUT_OFFSET, 'float64')));
  const keep = g.greaterOrEqual(h, g.scalar(Math.floor(p * DROPOUT_PRIME), 'float64'));
  const mask = g.stopGradient(g.where(keep, g.scalar(1 / (1 - p), x.dtype), g.scalar(0, x.dtype)));
  return g.mul(x, mask);
}

/** Each element's row-major index in x (rank ≥ 1), as int64 of x's shape. */
function flatIndex(g: Graph, x: Tensor): Tensor {
  const along = (axis: number) => g.reshape(g.arange(x.shape[axis]!), x.shape.map((d, k) => (k === axis ? d : 1)));
  let index = along(0);
  for (let axis = 1; axis < x.shape.length; axis++) index = g.add(g.mul(index, g.dimValue(x.shape[axis]!)), along(axis));
  return index;
}
