/** The small data sets the exactness tests train one step on (with and without LoRA). */

/** SFT rows: prompt and completion. */
export const SFT_ROWS = [
  { prompt: 'the cat sat', completion: ' on the mat' },
  { prompt: 'hello', completion: ' world, how are you' },
  { prompt: 'one two three', completion: ' four' },
  { prompt: 'a b', completion: ' c d e f' },
];

/** Preference pairs. */
export const PREF_ROWS = [
  { prompt: 'pick a colour', chosen: 'blue sky', rejected: 'no' },
  { prompt: 'say hi', chosen: 'hi there friend', rejected: 'bye' },
  { prompt: 'count', chosen: 'one two', rejected: 'three four five six' },
];

/** Replayed rollouts: two prompts, three completions each, with their rewards (groups of 3). */
export const GROUP_ROWS = [
  { prompt: 'the cat sat', completion: ' on the mat', reward: 1 },
  { prompt: 'the cat sat', completion: ' down', reward: 0 },
  { prompt: 'the cat sat', completion: ' quietly by the door', reward: 0.5 },
  { prompt: 'count', completion: ' one two', reward: 0 },
  { prompt: 'count', completion: ' three four five six', reward: 2 },
  { prompt: 'count', completion: ' seven', reward: 1.5 },
];
