/**
 * ROUGE as Google's rouge-score computes it without stemming (`RougeScorer([...], use_stemmer=False)`):
 * text is lower-cased, every run of characters other than a-z and 0-9 separates tokens (so punctuation and
 * non-ASCII letters are dropped), and each score is the F-measure 2PR / (P + R) of one prediction against one
 * reference.
 */

export interface RougeScores {
  readonly rouge1: number;
  readonly rouge2: number;
  readonly rougeL: number;
}

/** rouge-score's default tokenizer: lower-case, non-alphanumerics as separators. */
export function rougeTokens(text: string): string[] {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').split(' ').filter((t) => t !== '');
}

export function rougeScores(prediction: string, reference: string): RougeScores {
  const pred = rougeTokens(prediction);
  const ref = rougeTokens(reference);
  return { rouge1: rougeN(pred, ref, 1), rouge2: rougeN(pred, ref, 2), rougeL: rougeL(pred, ref) };
}

/** ROUGE-L F-measure: precision LCS/|prediction|, recall LCS/|reference|; 0 when either is empty. */
export function rougeL(prediction: readonly string[], reference: readonly string[]): number {
  if (prediction.length === 0 || reference.length === 0) return 0;
  const lcs = lcsLength(prediction, reference);
  return fMeasure(lcs / prediction.length, lcs / reference.length);
}

/** ROUGE-N F-measure: clipped n-gram overlap over the n-grams of each side. */
export function rougeN(prediction: readonly string[], reference: readonly string[], n: number): number {
  const pred = ngramCounts(prediction, n);
  const ref = ngramCounts(reference, n);
  let overlap = 0;
  for (const [gram, count] of pred) overlap += Math.min(count, ref.get(gram) ?? 0);
  const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);
  return fMeasure(overlap / Math.max(total(pred), 1), overlap / Math.max(total(ref), 1));
}

/** Longest common subsequence length, one DP row at a time. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  let previous = new Array<number>(b.length + 1).fill(0);
  for (const token of a) {
    const row = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++) row[j] = token === b[j - 1] ? previous[j - 1]! + 1 : Math.max(previous[j]!, row[j - 1]!);
    previous = row;
  }
  return previous[b.length]!;
}

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    // a space cannot occur inside a token, so joining by it keeps n-grams distinct
    const gram = tokens.slice(i, i + n).join(' ');
    counts.set(gram, (counts.get(gram) ?? 0) + 1);
  }
  return counts;
}

function fMeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}
