// Regenerates the synthetic fixture files in this directory (deterministic): node examples/data/generate.mjs
// sft.jsonl: prompt/completion text rows (reverse three words). preferences.jsonl: Anthropic hh-rlhf format
// (whole "\n\nHuman: ...\n\nAssistant: ..." dialogues): the chosen answer opens politely, the rejected one rudely.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WORDS = ['red', 'green', 'blue', 'cat', 'dog', 'sun', 'moon', 'tree', 'fish', 'bird', 'rock', 'rain', 'snow', 'star', 'leaf', 'hill'];
const GOOD = ['Sure!', 'Happy to help:', 'Great question:', 'Of course:'];
const BAD = ['No.', 'Go away.', 'Whatever.', 'Not my problem.'];

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const next = rng(20240601);
const pick = (list) => list[Math.floor(next() * list.length)];
const words = (n) => Array.from({ length: n }, () => pick(WORDS));

const sft = Array.from({ length: 64 }, () => {
  const w = words(3);
  return { prompt: `Reverse the words: ${w.join(' ')}\n`, completion: [...w].reverse().join(' ') };
});

const preferences = Array.from({ length: 64 }, () => {
  const topic = words(2).join(' ');
  const tail = `${words(3).join(' ')}.`;
  const human = `\n\nHuman: Tell me something about ${topic}.`;
  // some dialogues have an earlier exchange, as hh-rlhf does
  const history = next() < 0.3 ? `\n\nHuman: Hi!\n\nAssistant: Hello, what can I do for you?${human}` : human;
  return { chosen: `${history}\n\nAssistant: ${pick(GOOD)} ${tail}`, rejected: `${history}\n\nAssistant: ${pick(BAD)} ${tail}` };
});

const here = dirname(fileURLToPath(import.meta.url));
const jsonl = (rows) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
writeFileSync(join(here, 'sft.jsonl'), jsonl(sft));
writeFileSync(join(here, 'preferences.jsonl'), jsonl(preferences));
