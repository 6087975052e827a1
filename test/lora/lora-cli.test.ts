import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { readSafetensors } from '@aligntune/core';
import { cli } from '../helpers/run-cli.js';
import { prepareSums, sumsSftConfig } from '../helpers/sums-learning.js';
import { readModelConfig } from '../models/model-types.js';
import { referenceForward } from '../models/reference/reference-forward.js';
import { completionLogps } from '../training/reference-losses.js';
import { createTrainer, readMetrics, runConfig, tempDir, writeJsonl, writeTinyModel } from '../training/helpers.js';
import { effectiveWeights, float64, type PeftFixture } from './lora-helpers.js';

/** `<dir>/sft.yaml` with `model` fields added (the LoRA settings). */
function withModelFields(file: string, fields: Record<string, unknown>): string {
  const config = parse(readFileSync(file, 'utf8')) as { model: Record<string, unknown> };
  config.model = { ...config.model, ...fields };
  writeFileSync(file, stringify(config));
  return file;
}

describe('LoRA through the CLI', () => {
  // A freshly initialised tiny model's frozen lm_head (std 0.02) bounds how far adapters alone can move its logits, so the
  // head trains in full (modules_to_save, as when a head is new); the seed's flat spellings and the peft block combine.
  it('SFT with the seed\'s flat settings learns the sums, saves a PEFT adapter, and export merged equals base + adapter', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const { model, tokenizer, test } = await prepareSums(dir, 'llama');
    const config = withModelFields(sumsSftConfig(dir, model, 40, { learning_rate: 1e-2 }), { use_peft: true, lora_r: 8, lora_alpha: 16, lora_target_modules: 'all-linear', peft: { modules_to_save: ['lm_head'] } });
    const run = await cli('train', '--config', config);
    expect(run.code, run.stderr).toBe(0);

    const final = join(dir, 'out/final');
    expect(existsSync(join(final, 'model.safetensors'))).toBe(false); // the adapter only
    const adapterConfig = JSON.parse(readFileSync(join(final, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(adapterConfig).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 8, lora_alpha: 16, bias: 'none', use_rslora: false, base_model_name_or_path: model });
    expect(adapterConfig.target_modules).toEqual(['down_proj', 'gate_proj', 'k_proj', 'o_proj', 'q_proj', 'up_proj', 'v_proj']);
    const { tensors: base } = await readSafetensors(join(model, 'model.safetensors'));
    const { tensors: adapter } = await readSafetensors(join(final, 'adapter_model.safetensors'));
    const layers = (await readModelConfig(model)).numLayers;
    expect(adapter.size).toBe(layers * 7 * 2 + 1);
    expect(adapter.get('base_model.model.lm_head.weight')!.shape).toEqual(base.get('lm_head.weight')!.shape);
    expect(adapter.get('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')!.shape).toEqual([8, (await readModelConfig(model)).hiddenSize]);

    const merged = await cli('export', 'merged', '--adapter', final, '--out', join(dir, 'merged'));
    expect(merged.code, merged.stderr).toBe(0);
    const config64 = await readModelConfig(model);
    const { tensors: mergedTensors } = await readSafetensors(join(dir, 'merged/model.safetensors'));
    expect([...mergedTensors.keys()].sort()).toEqual([...base.keys()].sort());

    // the merged logits are base + adapter's (W + (α/r)·B·A in float64) to float32 precision
    const fixture: PeftFixture = { r: 8, alpha: 16, tensors: adapter, modules: [...adapter.keys()].filter((n) => n.endsWith('lora_A.weight')).map((n) => {
      const path = n.slice('base_model.model.'.length, -'.lora_A.weight'.length);
      const [outF, inF] = base.get(`${path}.weight`)!.shape as [number, number];
      return { path, inF, outF, conv1d: false };
    }) };
    const ids = tokenizer.encode(test[0]!.prompt + test[0]!.answer);
    const expected = referenceForward(config64, effectiveWeights(float64(base), fixture, float64(adapter)), { inputIds: [ids] }).logits[0]!;
    const got = referenceForward(config64, float64(mergedTensors), { inputIds: [ids] }).logits[0]!;
    let scale = 0;
    let diff = 0;
    expected.forEach((row, t) => row.forEach((v, j) => {
      scale = Math.max(scale, Math.abs(v));
      diff = Math.max(diff, Math.abs(got[t]![j]! - v));
    }));
    expect(diff).toBeLessThan(1e-5 * scale);

    // and the model learned: the held-out answers' NLL halves
    const answers = test.map((p) => ({ prompt: tokenizer.encode(p.prompt), completion: [...tokenizer.encode(p.answer, { addSpecialTokens: false }), tokenizer.eosTokenId!] }));
    const nll = (w: Map<string, Float64Array>) => -completionLogps(config64, w, answers).reduce((a, b) => a + b, 0) / answers.reduce((n, a) => n + a.completion.length, 0);
    expect(nll(float64(mergedTensors))).toBeLessThan(nll(float64(base)) * 0.5);
    const logged = readMetrics(join(dir, 'out/metrics.jsonl'));
    expect(logged.at(-1)!.loss).toBeLessThan(logged[0]!.loss * 0.6);
  });

  it('reads the seed\'s flat keys into model.peft, in the file and in --set', async () => {
    const dir = tempDir();
    const { model } = await prepareSums(dir, 'gpt2');
    const config = withModelFields(sumsSftConfig(dir, model, 2), { use_peft: true, lora_target_modules: 'all-linear' });
    const printed = await cli('validate', '--config', config, '--set', 'model.lora_r=4', '--set', 'model.peft.use_rslora=true', '--print');
    expect(printed.code, printed.stderr).toBe(0);
    const resolved = parse(printed.stdout) as { model: Record<string, unknown> };
    expect(resolved.model.peft).toEqual({ enabled: true, r: 4, lora_alpha: 32, lora_dropout: 0, target_modules: ['all-linear'], use_rslora: true, modules_to_save: [], bias: 'none', init_lora_weights: true });
    expect(Object.keys(resolved.model).filter((k) => k.startsWith('lora_') || k === 'use_peft')).toEqual([]);
  });

  it('trains with the seed\'s lora_dropout: 0.05 (was refused with exit 2): the masks change the update, evaluation runs without them, and the adapter records it', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const { model } = await prepareSums(dir, 'gpt2');
    const adapterAfter = async (dropout: number) => {
      const file = withModelFields(sumsSftConfig(dir, model, 2, { seed: 3, eval_fraction: 0.1, eval_interval: 1 }), { use_peft: true, lora_r: 4, lora_dropout: dropout, lora_target_modules: 'all-linear' });
      const run = await cli('train', '--config', file, '--set', `logging.output_dir=${join(dir, `out-${dropout}`)}`);
      expect(run.code, run.stderr).toBe(0);
      // the eval graph has no dropout (it takes no masks' key, which only the optimizer step feeds)
      expect(readMetrics(join(dir, `out-${dropout}/metrics.jsonl`)).some((row) => Number.isFinite(row['eval/loss']))).toBe(true);
      const final = join(dir, `out-${dropout}/final`);
      expect(JSON.parse(readFileSync(join(final, 'adapter_config.json'), 'utf8'))).toMatchObject({ lora_dropout: dropout });
      return (await readSafetensors(join(final, 'adapter_model.safetensors'))).tensors;
    };
    const dropped = await adapterAfter(0.05);
    const plain = await adapterAfter(0);
    const name = 'base_model.model.transformer.h.0.mlp.c_fc.lora_B.weight';
    const [u, v] = [dropped.get(name)!.data as Float32Array, plain.get(name)!.data as Float32Array];
    expect(u.some((x) => x !== 0)).toBe(true);
    expect(u.some((x, i) => Math.abs(x - v[i]!) > 1e-7)).toBe(true);
  });

  it('refuses bad LoRA settings with exit 2 naming the field', async () => {
    const dir = tempDir();
    const { model } = await prepareSums(dir, 'gpt2');
    const base = sumsSftConfig(dir, model, 2);
    const attempt = async (fields: Record<string, unknown>) => {
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, readFileSync(base, 'utf8'));
      return cli('train', '--config', withModelFields(file, fields));
    };
    const unknown = await attempt({ peft: { target_modules: ['q_proj'] } });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('model.peft.target_modules: "q_proj" matches no linear layer of this gpt2 model (its linear layers: c_attn, c_proj, c_fc, or "all-linear")');
    const both = await attempt({ peft: { r: 8 }, lora_r: 4 });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('model.lora_r: conflicts with model.peft.r (4 vs 8): set one of them');
    const bias = await attempt({ peft: { bias: 'all' } });
    expect(bias.code).toBe(2);
    expect(bias.stderr).toContain('model.peft.bias: must be one of "none"');
    const dropout = await attempt({ lora_dropout: 1 });
    expect(dropout.code).toBe(2);
    expect(dropout.stderr).toContain('model.peft.lora_dropout');
    const off = await attempt({ use_peft: false, lora_r: 4 });
    expect(off.code).toBe(2);
    expect(off.stderr).toContain('model.peft.enabled: is false, so r would have no effect');
    const adapterOnly = await attempt({ adapter_path: dir });
    expect(adapterOnly.code).toBe(2);
    expect(adapterOnly.stderr).toContain('model.adapter_path: loads a LoRA adapter to train on: set model.peft');
  });
});

describe('LoRA runs: checkpoints, resume, starting adapters', () => {
  it.each([0, 0.1])('checkpoints hold the adapter and optimizer state only; a resumed run reproduces the uninterrupted one (lora_dropout %s)', async (dropout) => {
    const dir = tempDir();
    await writeTinyModel(join(dir, 'model'), 'gpt2', { weights: 'init', seed: 2 });
    const data = writeJsonl(join(dir, 'data.jsonl'), Array.from({ length: 6 }, (_, i) => ({ prompt: `p${i}`, completion: ` answer ${i}` })));
    const train = { per_device_batch_size: 2, max_steps: 5, learning_rate: 1e-2, logging_steps: 1 };
    const peft = { peft: { r: 4, target_modules: ['c_attn', 'c_fc'], lora_dropout: dropout } };
    const cfg = (out: string, extra: Record<string, unknown> = {}) => {
      const c = runConfig('sft', join(dir, 'model'), data, join(dir, out), { ...train, ...extra });
      c.model = { ...(c.model as object), ...peft };
      return c;
    };
    await (await createTrainer(cfg('a'))).train();
    const interrupted = await createTrainer(cfg('b'));
    interrupted.hooks.onStep = (step) => {
      if (step === 2) interrupted.signals.requestStop('SIGINT');
    };
    expect(await interrupted.train()).toMatchObject({ steps: 2, interrupted: true });
    expect(readdirSync(join(dir, 'b/checkpoints/step-2')).sort()).toEqual(expect.arrayContaining(['adapter_config.json', 'adapter_model.safetensors', 'optimizer.safetensors', 'trainer_state.json']));
    expect(existsSync(join(dir, 'b/checkpoints/step-2/model.safetensors'))).toBe(false);
    const { tensors: moments } = await readSafetensors(join(dir, 'b/checkpoints/step-2/optimizer.safetensors'));
    expect([...moments.keys()].every((n) => n.includes('.lora_'))).toBe(true); // no optimizer state for the frozen base
    expect((await (await createTrainer(cfg('b', { resume_from_checkpoint: 'latest' }))).train()).steps).toBe(5);
    const { tensors: a } = await readSafetensors(join(dir, 'a/final/adapter_model.safetensors'));
    const { tensors: b } = await readSafetensors(join(dir, 'b/final/adapter_model.safetensors'));
    for (const [name, t] of a) {
      const other = b.get(name)!.data as Float32Array;
      (t.data as Float32Array).forEach((v, i) => expect(Math.abs(v - other[i]!)).toBeLessThan(1e-6));
    }
  });

  it('model.adapter_path whose settings differ from model.peft is refused naming the setting', async () => {
    const dir = tempDir();
    await writeTinyModel(join(dir, 'model'), 'gpt2', { seed: 2 });
    const data = writeJsonl(join(dir, 'data.jsonl'), [{ prompt: 'a', completion: ' b' }]);
    const first = runConfig('sft', join(dir, 'model'), data, join(dir, 'first'), { max_steps: 1 });
    first.model = { ...(first.model as object), peft: { r: 4 } };
    await (await createTrainer(first)).train();
    const second = runConfig('sft', join(dir, 'model'), data, join(dir, 'second'), { max_steps: 1 });
    second.model = { ...(second.model as object), peft: { r: 8 }, adapter_path: join(dir, 'first/final') };
    await expect((await createTrainer(second)).train()).rejects.toThrow(/model\.adapter_path: .*the adapter has r 4, model\.peft gives 8: set model\.peft\.r to match/);
  });
});
