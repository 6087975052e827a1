import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { declareTokenInputs, Graph, hostValues, RolloutEngine, saveModelDir } from '@aligntune/core';
import { exportOnnx } from '../../core/src/models/graph/export-onnx.js';
import { tempDir, tinyTokenizer } from './helpers.js';
import { backend, randomTensors, runGraph, tinyConfig, tinyModel, tokenFeeds } from './graph-helpers.js';

const RUNNER = resolve(import.meta.dirname, '../../bench/transformers-js-run.mjs');
const PROMPT = [3, 8, 5, 11, 2];
const NEW_TOKENS = 8;

/** One tiny model per family (the tiny configs of the graph tests: each family's real fields at small sizes). */
const FAMILIES = ['gpt2', 'llama3', 'mistral', 'qwen2', 'qwen3', 'phi3', 'phi3-long', 'smollm3', 'gemma2', 'gemma3', 'olmo2', 'qwen2_moe', 'qwen3_moe'];
/** Model types transformers.js (4.3.2) has no class for: its AutoModelForCausalLM refuses them (docs/models.md says so). */
const UNKNOWN_TO_TRANSFORMERS_JS = ['mixtral', 'olmoe'];

interface TransformersJsRun {
  readonly version: string;
  readonly modelClass: string;
  readonly logitsDims: number[];
  readonly logits: number[];
  readonly tokens: number[];
}

const run = promisify(execFile);

/** Why transformers.js cannot be imported here (the runner's exit 3), or undefined when it can. */
async function missingReason(): Promise<string | undefined> {
  try {
    await run(process.execPath, [RUNNER, '--check']);
    return undefined;
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    if (e.code !== 3) throw err;
    return e.stderr?.trim() ?? 'transformers.js is not installed';
  }
}

/** A tiny `name` model saved and exported, then bench/transformers-js-run.mjs on the export: its output, or its error. */
async function exportAndRun(name: string) {
  const src = tempDir();
  const out = tempDir();
  const config = tinyConfig(name);
  await saveModelDir(src, config, { tensors: randomTensors(config, 41), tokenizer: tinyTokenizer() });
  const { model } = tinyModel(name, 41);
  await exportOnnx(model, out);
  try {
    const { stdout } = await run(process.execPath, [RUNNER, out, JSON.stringify(PROMPT), String(NEW_TOKENS)], { maxBuffer: 64 << 20 });
    return { config, model, theirs: JSON.parse(stdout.trim().split('\n').at(-1)!) as TransformersJsRun };
  } catch (err) {
    return { config, model, failed: (err as { stderr?: string }).stderr ?? String(err) };
  }
}

const missing = await missingReason();
if (missing) console.warn(`transformers-js.test.ts skipped: ${missing}`);

/** The completion up to and including its first id of `eos` (generation stops there in transformers.js). */
function untilEos(tokens: readonly number[], eos: readonly number[]): number[] {
  const at = tokens.findIndex((t) => eos.includes(t));
  return at < 0 ? [...tokens] : tokens.slice(0, at + 1);
}

/**
 * The export of every family loads in transformers.js (AutoModelForCausalLM, in Node, as a Hub ONNX repository) and gives
 * our training graph's logits and our RolloutEngine's greedy tokens. transformers.js is not a dependency (it brings a
 * second onnxruntime-node and onnxruntime-web, ~180 MB): where it is not installed, the file says so once and every case
 * is reported skipped, none passed. Install it with `npm install --no-save --ignore-scripts @huggingface/transformers` or point
 * ALIGNTUNE_TRANSFORMERS_JS at its package directory.
 */
describe.skipIf(missing !== undefined)('aligntune export onnx loads in transformers.js', () => {
  for (const name of FAMILIES) {
    it(`${name}: same logits as the training graph and the same greedy tokens as the RolloutEngine`, { timeout: 120_000 }, async () => {
      const { config, model, theirs, failed } = await exportAndRun(name);
      if (!theirs) throw new Error(`transformers.js failed on ${name}: ${failed}`);
      const V = config.vocabSize;
      expect(theirs.logitsDims).toEqual([1, PROMPT.length, V]);
      const g = new Graph('reference');
      const inputs = declareTokenInputs(g);
      const { hidden, weights } = model.forward(g, inputs, 'input');
      const ours = hostValues((await runGraph(g, { logits: model.lmLogits(g, weights, hidden) }, { ...tokenFeeds({ ids: [PROMPT], mask: [PROMPT.map(() => 1)] }), ...weights.feeds() })).logits!);
      const scale = Math.max(...ours.map(Math.abs));
      theirs.logits.forEach((v, i) => expect(Math.abs(v - ours[i]!), `logit ${i}`).toBeLessThanOrEqual(1e-4 * scale));

      const engine = await RolloutEngine.create(model, backend());
      const { completions } = await engine.generate([PROMPT], { maxNewTokens: NEW_TOKENS, greedy: true, eosTokenIds: [] });
      await engine.dispose();
      const eos = config.eosTokenIds;
      expect(untilEos(theirs.tokens, eos)).toEqual(untilEos(completions[0]!.tokenIds, eos));
      expect(untilEos(theirs.tokens, eos).length).toBeGreaterThan(1);
    });
  }

  for (const name of UNKNOWN_TO_TRANSFORMERS_JS) {
    it(`${name}: transformers.js has no class for the model type and refuses it (when it gains one, check it like the others)`, { timeout: 120_000 }, async () => {
      const { failed } = await exportAndRun(name);
      expect(failed).toContain(`Unsupported model type: ${name}`);
    });
  }
});
