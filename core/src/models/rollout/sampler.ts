/**
 * Token selection on one row of logits, in the order transformers applies its processors:
 * repetition penalty → temperature → top-k → top-p → min-p, then a draw (or argmax when greedy).
 * Work is O(vocab) per row; only top-p sorts, and only the tokens next to its cut.
 */
export interface SamplerSettings {
  /** > 0; 1 leaves logits unchanged. */
  readonly temperature: number;
  /** Keep the k most likely tokens (ties at the k-th value kept); 0 = off. */
  readonly topK: number;
  /** Keep the smallest set of most likely tokens whose mass reaches top_p; 1 = off. */
  readonly topP: number;
  /** Drop tokens less likely than min_p × the most likely one; 0 = off. */
  readonly minP: number;
  /** transformers' RepetitionPenaltyLogitsProcessor: seen tokens' logits ÷ penalty (× when negative); 1 = off. */
  readonly repetitionPenalty: number;
  /** Argmax instead of a draw (do_sample = false). */
  readonly greedy: boolean;
}

export const DEFAULT_SAMPLER: SamplerSettings = { temperature: 1, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, greedy: false };

/** The surviving tokens and their renormalised probabilities (a deterministic order, not necessarily sorted). */
export interface Candidates {
  readonly ids: number[];
  readonly probs: number[];
}

/** Penalises the logits of `seen` tokens in place (each token once). */
export function applyRepetitionPenalty(row: Float32Array, seen: ReadonlySet<number>, penalty: number): void {
  if (penalty === 1) return;
  for (const id of seen) {
    const v = row[id]!;
    row[id] = v < 0 ? v * penalty : v / penalty;
  }
}

/** log softmax(row / temperature)[token]: the model's log-prob of a token at this temperature (no filters). */
export function tokenLogProb(row: Float32Array, token: number, temperature: number): number {
  const max = rowMax(row);
  let z = 0;
  for (let i = 0; i < row.length; i++) z += Math.exp((row[i]! - max) / temperature);
  return (row[token]! - max) / temperature - Math.log(z);
}

function rowMax(row: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i]! > max) max = row[i]!;
  return max;
}

export function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/** softmax(row / temperature) as the generation graphs compute it (`probs`), float32. */
export type Probabilities = Float32Array;

/**
 * The weights a draw uses after temperature, top-k, top-p and min-p, 0 for every dropped token. With `probs`
 * (the graph's softmax of this row) they are those probabilities: no exp pass here, and without a filter not
 * even a copy. Without, w = exp((l − max)/T) in float64 (the top token weighs 1): the path of a row whose logits
 * JS changed (repetition penalty). Typed-array passes over the vocabulary only; top-p locates its cut with a
 * histogram of log-weights and sorts just the bucket the cut falls in, so a flat 50k-token distribution costs
 * about as much as a peaked one.
 */
export function filteredWeights(row: Float32Array, s: SamplerSettings, scratch?: Float64Array, probs?: Probabilities): Float32Array | Float64Array {
  const topK = s.topK > 0 && s.topK < row.length;
  if (probs && !topK && s.topP >= 1 && s.minP <= 0) return probs;
  const max = rowMax(row);
  const w = scratch?.length === row.length ? scratch : new Float64Array(row.length);
  if (probs) w.set(probs);
  else for (let i = 0; i < row.length; i++) w[i] = Math.exp((row[i]! - max) / s.temperature);
  if (topK) {
    const kth = kthLargest(row, s.topK);
    for (let i = 0; i < row.length; i++) if (row[i]! < kth) w[i] = 0;
  }
  if (s.topP < 1) nucleus(row, w, max, s);
  // min-p compares with the most likely token (weight 1 on the exp path); renormalisation does not change the ratio.
  if (s.minP > 0) {
    const floor = s.minP * (probs ? rowMax(probs) : 1);
    for (let i = 0; i < w.length; i++) if (w[i]! < floor) w[i] = 0;
  }
  return w;
}

/**
 * log softmax(row / temperature)[token] read from the graph's probabilities; a probability below float32's normal
 * range (too few digits left, or 0) is recomputed from the logits in float64.
 */
export function chosenLogProb(row: Float32Array, probs: Probabilities, token: number, temperature: number): number {
  const p = probs[token]!;
  return p >= FLOAT32_MIN_NORMAL ? Math.log(p) : tokenLogProb(row, token, temperature);
}

const FLOAT32_MIN_NORMAL = 2 ** -126;

/** The surviving tokens and their renormalised probabilities, in vocabulary order (for inspection and tests). */
export function candidates(row: Float32Array, s: SamplerSettings): Candidates {
  const w = filteredWeights(row, s);
  const ids: number[] = [];
  let total = 0;
  w.forEach((x, i) => {
    if (x > 0) {
      ids.push(i);
      total += x;
    }
  });
  return { ids, probs: ids.map((i) => w[i]! / total) };
}

function kthLargest(row: Float32Array, k: number): number {
  // A sorted buffer of the k largest so far; k is small (≤ a few hundred) in practice.
  const top: number[] = [];
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (top.length === k && v <= top[k - 1]!) continue;
    let j = top.length < k ? top.length : k - 1;
    if (top.length < k) top.push(v);
    while (j > 0 && top[j - 1]! < v) {
      top[j] = top[j - 1]!;
      j--;
    }
    top[j] = v;
  }
  return top[top.length - 1]!;
}

const BUCKETS = 4096;
/** Log-weights below −LOG_RANGE (weight < 1e-26) share the last bucket. */
const LOG_RANGE = 60;

/**
 * transformers' TopP, in place on `w`: a token is dropped once the tokens heavier than it hold top_p of
 * the (top-k) mass; at least one token is kept. Buckets of −log w = (max − l)/T spanning the actual
 * range (so a flat distribution spreads out too), heaviest first, locate the cut. Any bucketing monotone in
 * the logit gives the same tokens, so the bucket is recomputed where it is needed rather than stored.
 */
function nucleus(row: Float32Array, w: Float64Array, max: number, s: SamplerSettings): void {
  let lowest = max;
  let total = 0;
  for (let i = 0; i < w.length; i++) {
    if (w[i] === 0) continue;
    if (row[i]! < lowest) lowest = row[i]!;
    total += w[i]!;
  }
  const span = Math.min(LOG_RANGE, (max - lowest) / s.temperature);
  const perLogit = span > 0 ? (BUCKETS - 1) / span / s.temperature : 0;
  const bucketOf = (i: number) => Math.min(BUCKETS - 1, Math.floor((max - row[i]!) * perLogit));
  const mass = new Float64Array(BUCKETS);
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) mass[bucketOf(i)] += w[i]!;
  const threshold = s.topP * total;
  let before = 0;
  let cut = 0;
  while (cut < BUCKETS - 1 && before + mass[cut]! < threshold) before += mass[cut++]!;
  const edge: number[] = [];
  for (let i = 0; i < w.length; i++) {
    if (w[i] === 0) continue;
    const bucket = bucketOf(i);
    if (bucket === cut) edge.push(i);
    else if (bucket > cut) w[i] = 0;
  }
  edge.sort((a, b) => w[b]! - w[a]! || a - b);
  let keptAny = before > 0;
  for (const i of edge) {
    if (keptAny && before >= threshold) w[i] = 0;
    else before += w[i]!;
    keptAny = true;
  }
}

/** Draws an index with probability proportional to `w` from a uniform u ∈ [0, 1). */
export function drawWeighted(w: Float32Array | Float64Array, u: number): number {
  let total = 0;
  for (let i = 0; i < w.length; i++) total += w[i]!;
  let acc = 0;
  const target = u * total;
  let last = 0;
  for (let i = 0; i < w.length; i++) {
    if (w[i] === 0) continue;
    acc += w[i]!;
    last = i;
    if (target < acc) return i;
  }
  return last;
}
