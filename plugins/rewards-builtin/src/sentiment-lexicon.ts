/**
 * An AFINN-style word list: valence from −5 (very negative) to +5 (very positive). Written for this project
 * (it is not AFINN-165), small on purpose; pass `extra_words` to the sentiment reward to extend it.
 */
export const SENTIMENT_LEXICON: Readonly<Record<string, number>> = {
  // strongly positive
  outstanding: 5, superb: 5, breathtaking: 5, thrilled: 5,
  excellent: 4, wonderful: 4, amazing: 4, fantastic: 4, brilliant: 4, delighted: 4, love: 3, loved: 3, loves: 3,
  awesome: 4, perfect: 3, magnificent: 4, marvelous: 4, joy: 3, joyful: 3, ecstatic: 4, grateful: 3, thankful: 2,
  // positive
  good: 3, great: 3, happy: 3, glad: 3, pleased: 3, enjoy: 2, enjoyed: 2, nice: 3, beautiful: 3, lovely: 3,
  fun: 2, kind: 2, helpful: 2, liked: 2, useful: 2, success: 2, successful: 3, win: 3, won: 3,
  hope: 2, hopeful: 2, calm: 2, safe: 1, clear: 1, easy: 1, fine: 2, recommend: 2, impressive: 3, favorite: 2,
  comfortable: 2, friendly: 2, clever: 2, correct: 1, fair: 2, best: 3, better: 2, improve: 2, improved: 2,
  thanks: 2, thank: 2, welcome: 2, smile: 2, laugh: 1, proud: 2, excited: 3, exciting: 3, satisfied: 2, cool: 1,
  // negative
  bad: -3, poor: -2, sad: -2, unhappy: -2, boring: -3, dull: -2, annoying: -2, annoyed: -2, slow: -1,
  wrong: -2, broken: -1, problem: -2, problems: -2, issue: -1, fail: -2, failed: -2, failure: -2, lose: -3,
  lost: -3, worse: -3, difficult: -1, hard: -1, ugly: -3, angry: -3, upset: -2, worried: -3, worry: -3,
  fear: -2, afraid: -2, scared: -2, sorry: -1, disappointed: -2, disappointing: -2, mediocre: -2, confusing: -2,
  hate: -3, hated: -3, dislike: -2, stupid: -2, useless: -2, waste: -1, unfair: -2, rude: -2, pain: -2,
  // strongly negative
  terrible: -3, awful: -3, horrible: -3, dreadful: -3, disgusting: -3, pathetic: -2, miserable: -3,
  worst: -3, disaster: -2, catastrophe: -3, tragic: -2, furious: -3, hopeless: -2, abysmal: -4,
  appalling: -4, atrocious: -4, despise: -4, loathe: -4, horrendous: -4, nightmare: -3,
};

/** Words that flip the valence of the next two words ("not good", "never happy", "isn't bad"). */
export const NEGATORS = new Set(['not', 'no', 'never', 'none', 'nobody', 'nothing', 'neither', 'nor', 'without', 'hardly', 'barely']);

export function isNegator(token: string): boolean {
  return NEGATORS.has(token) || token.endsWith("n't");
}
