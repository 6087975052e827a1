import type { Vec } from './ref-math.js';

/** Whether query position t may attend to key position s. */
export type Visibility = (t: number, s: number) => boolean;

/** Gemma's changes to eager attention: the score scale (default 1 / sqrt(d)) and tanh soft-capping of scores. */
export interface ScoreOptions {
  readonly scale?: number;
  readonly softcap?: number | null;
}

/**
 * Eager multi-head attention (HF eager_attention_forward): softmax(q·k / sqrt(d)) v over visible keys
 * (scores = softcap·tanh(q·k·scale / softcap) when soft-capped).
 * q rows hold numHeads·d values, k/v rows numKvHeads·d; query head h reads kv head floor(h / (numHeads /
 * numKvHeads)), which is what repeat_kv's expand+reshape produces. A query with no visible key (a padding
 * position under left padding) gets zeros: outputs at padding positions are unspecified.
 */
export function attention(q: readonly Vec[], k: readonly Vec[], v: readonly Vec[], numHeads: number, numKvHeads: number, d: number, visible: Visibility, options: ScoreOptions = {}): Vec[] {
  const groups = numHeads / numKvHeads;
  const scale = options.scale ?? 1 / Math.sqrt(d);
  const cap = options.softcap ?? null;
  return q.map((qt, t) => {
    const out = new Float64Array(numHeads * d);
    for (let h = 0; h < numHeads; h++) {
      const kvh = Math.floor(h / groups);
      const keys: number[] = [];
      const scores: number[] = [];
      for (let s = 0; s < k.length; s++) {
        if (!visible(t, s)) continue;
        let dotp = 0;
        for (let j = 0; j < d; j++) dotp += qt[h * d + j]! * k[s]![kvh * d + j]!;
        keys.push(s);
        scores.push(cap === null ? dotp * scale : cap * Math.tanh((dotp * scale) / cap));
      }
      if (keys.length === 0) continue;
      const max = Math.max(...scores);
      const w = scores.map((x) => Math.exp(x - max));
      const z = w.reduce((a, b) => a + b, 0);
      keys.forEach((s, n) => {
        for (let j = 0; j < d; j++) out[h * d + j] += (w[n]! / z) * v[s]![kvh * d + j]!;
      });
    }
    return out;
  });
}
