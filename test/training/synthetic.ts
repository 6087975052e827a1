import { SeededRandom } from '@aligntune/core';

/** Seeded synthetic data for learning tests and the shipped fixtures. */
const WORDS = ['red', 'green', 'blue', 'cat', 'dog', 'sun', 'moon', 'tree', 'fish', 'bird', 'rock', 'rain', 'snow', 'star', 'leaf', 'hill'];

function rng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.nextFloat();
}

function words(next: () => number, n: number): string {
  return Array.from({ length: n }, () => WORDS[Math.floor(next() * WORDS.length)]!).join(' ');
}

const GOOD = ['yes', 'sure', 'great', 'thanks'];
const BAD = ['no', 'never', 'whatever', 'go away'];

/**
 * Preference pairs: the chosen answer opens politely, the rejected one rudely; both continue with the same
 * random words, so only the preference rule (not length or content) separates them.
 */
export function preferencePairs(count: number, seed: number): Array<{ prompt: string; chosen: string; rejected: string }> {
  const next = rng(seed);
  const pick = (list: readonly string[]) => list[Math.floor(next() * list.length)]!;
  return Array.from({ length: count }, () => {
    const tail = words(next, 3);
    return { prompt: `tell me about ${words(next, 2)}`, chosen: `${pick(GOOD)} ${tail}`, rejected: `${pick(BAD)} ${tail}` };
  });
}

/** SFT rows: the completion is the prompt's words reversed. */
export function sftRows(count: number, seed: number): Array<{ prompt: string; completion: string }> {
  const next = rng(seed);
  return Array.from({ length: count }, () => {
    const w = words(next, 3).split(' ');
    return { prompt: `reverse ${w.join(' ')}:`, completion: ` ${[...w].reverse().join(' ')}` };
  });
}
