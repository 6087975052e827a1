#!/usr/bin/env node
// Loads an `aligntune export onnx` directory in transformers.js (@huggingface/transformers, not a dependency of this
// repository) and prints, as one JSON line, the logits of one prompt's forward pass and its greedy continuation:
//
//   node bench/transformers-js-run.mjs EXPORT_DIR '[3, 8, 5]' 8
//   node bench/transformers-js-run.mjs --check       (exit 0 when transformers.js can be imported)
//
// transformers.js is imported from $ALIGNTUNE_TRANSFORMERS_JS (its package directory) when set, else resolved as usual
// (`npm install --no-save --ignore-scripts @huggingface/transformers`). Exit code 3 when it cannot be imported, so a
// caller can tell "not installed" from a failed load. test/models/transformers-js.test.ts runs it once per family; it
// runs in a process of its own because transformers.js brings its own onnxruntime-node.
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';

const [dir, promptJson, newTokens = '8'] = process.argv.slice(2);
const transformers = await importTransformers();
if (dir === '--check') process.exit(0);
if (!dir || !promptJson) {
  console.error('usage: node bench/transformers-js-run.mjs EXPORT_DIR PROMPT_IDS_JSON [NEW_TOKENS]');
  process.exit(2);
}

const { AutoModelForCausalLM, Tensor, env } = transformers;
env.allowRemoteModels = false;
env.localModelPath = `${dirname(dir)}/`;
const model = await AutoModelForCausalLM.from_pretrained(basename(dir), { dtype: 'fp32', device: 'cpu' });

const prompt = JSON.parse(promptJson);
const ids = () => new Tensor('int64', BigInt64Array.from(prompt, BigInt), [1, prompt.length]);
const mask = () => new Tensor('int64', new BigInt64Array(prompt.length).fill(1n), [1, prompt.length]);
const { logits } = await model({ input_ids: ids(), attention_mask: mask() });
const sequences = await model.generate({ input_ids: ids(), attention_mask: mask(), max_new_tokens: Number(newTokens), do_sample: false });
const version = JSON.parse(readFileSync(join(packageDir(), 'package.json'), 'utf8')).version;
console.log(JSON.stringify({
  version,
  modelClass: model.constructor.name,
  logitsDims: logits.dims,
  logits: Array.from(logits.data),
  tokens: Array.from(sequences.data, Number).slice(prompt.length),
}));
await model.dispose?.();

function packageDir() {
  return process.env.ALIGNTUNE_TRANSFORMERS_JS ?? join(dirname(new URL(import.meta.resolve('@huggingface/transformers')).pathname), '..');
}

async function importTransformers() {
  const from = process.env.ALIGNTUNE_TRANSFORMERS_JS;
  try {
    if (!from) return await import('@huggingface/transformers');
    const pkg = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
    const node = (pkg.exports?.['.'] ?? pkg.exports)?.node?.import;
    return await import(pathToFileURL(join(from, node?.default ?? node ?? pkg.module ?? pkg.main)).href);
  } catch (err) {
    console.error(`transformers.js is not installed here (${err.code ?? err.message}): npm install --no-save --ignore-scripts @huggingface/transformers, or set ALIGNTUNE_TRANSFORMERS_JS to its package directory`);
    process.exit(3);
  }
}
