/** Text statistics shared by the length and coherence rewards. Words are runs of non-whitespace. */
export function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

/**
 * Sentences: text split after `.`, `!`, `?` (runs of them, optionally followed by closing quotes or
 * brackets) that are followed by whitespace or the end; pieces without a word are dropped.
 */
export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?]+["')\]]*)\s+/)
    .map((piece) => piece.trim())
    .filter((piece) => /[\p{L}\p{N}]/u.test(piece));
}

/**
 * distinct-n (Li et al., 2016): distinct n-grams / all n-grams of the word sequence, in (0, 1]; lower means
 * more repetition. Texts with fewer than n words cannot repeat an n-gram: 1 (0 for no words at all).
 */
export function distinctN(tokens: readonly string[], n: number): number {
  if (tokens.length === 0) return 0;
  if (tokens.length < n) return 1;
  const grams = new Set<string>();
  const total = tokens.length - n + 1;
  for (let i = 0; i < total; i++) grams.add(tokens.slice(i, i + n).join('\u0000'));
  return grams.size / total;
}
