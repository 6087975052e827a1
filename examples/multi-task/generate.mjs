// Regenerates the fixture files in data/ (deterministic): node examples/multi-task/generate.mjs
// One file per task, each in the format of the Hub dataset the seed's multi-task example names:
// math.jsonl as gsm8k (question, answer ending "#### n"), code.jsonl as CodeAlpaca-20k (instruction, input,
// output), conversation.jsonl as chat messages ending in the user's turn (a prompt for PPO to answer).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NAMES = ['Ann', 'Ben', 'Cara', 'Dev', 'Eli'];
const THINGS = ['apples', 'books', 'coins', 'stamps'];
const OPS = [
  { name: 'add', verb: 'the sum', symbol: '+' },
  { name: 'subtract', verb: 'the difference', symbol: '-' },
  { name: 'multiply', verb: 'the product', symbol: '*' },
];
const TOPICS = ['the sea', 'the sky', 'tea', 'the park', 'books', 'the weather', 'cats', 'music'];
const OPENERS = ['Hi! What do you like about', 'Can you tell me something about', 'Why do people enjoy'];

const math = Array.from({ length: 20 }, (_, i) => {
  const [name, thing, a, b] = [NAMES[i % 5], THINGS[i % 4], 2 + (i % 7), 3 + ((i * 5) % 11)];
  return {
    question: `${name} has ${a} ${thing} and gets ${b} more. How many ${thing} does ${name} have now?`,
    answer: `${name} has ${a} + ${b} = ${a + b} ${thing}.\n#### ${a + b}`,
  };
});

const code = Array.from({ length: 15 }, (_, i) => {
  const op = OPS[i % 3];
  const fn = `${op.name}${Math.floor(i / 3) + 1}`;
  return {
    instruction: `Write a JavaScript function ${fn} that returns ${op.verb} of two numbers.`,
    input: '',
    output: `function ${fn}(a, b) {\n  return a ${op.symbol} b;\n}`,
  };
});

const conversation = Array.from({ length: 15 }, (_, i) => ({
  messages: [{ role: 'user', content: `${OPENERS[i % 3]} ${TOPICS[i % 8]}?` }],
}));

const here = join(dirname(fileURLToPath(import.meta.url)), 'data');
const jsonl = (rows) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
writeFileSync(join(here, 'math.jsonl'), jsonl(math));
writeFileSync(join(here, 'code.jsonl'), jsonl(code));
writeFileSync(join(here, 'conversation.jsonl'), jsonl(conversation));
