import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/run-cli.js';
import { REPO_ROOT } from '../helpers/temp-project.js';
import { tinyModelDir, writeYamlConfig } from '../helpers/tiny-model-dir.js';

/**
 * model.precision and model.quantization through the CLI: frozen models (DPO's reference) are stored as asked
 * and the run trains; a quantization with no frozen model to act on, or a key that cannot act, exits 2 naming it.
 */
let dir: string;
let model: string;

const DATA = { sft: 'examples/data/sft.jsonl', dpo: 'examples/data/preferences.jsonl', reward: 'examples/data/preferences.jsonl', grpo: 'examples/data/sft.jsonl', ppo: 'examples/data/sft.jsonl' };
const TRAIN = {
  sft: { per_device_batch_size: 2, max_steps: 2 },
  dpo: { per_device_batch_size: 2, max_steps: 2 },
  reward: { per_device_batch_size: 2, max_steps: 2 },
  grpo: { per_device_batch_size: 4, num_generations: 4, max_completion_length: 4, max_steps: 1 },
  ppo: { per_device_batch_size: 2, rollout_batch_size: 2, response_length: 4, max_steps: 1 },
};

/** A short run of the tiny model writing to `<dir>/<name>`, with these model fields and train entries; returns the file. */
function writeConfig(name: string, algo: keyof typeof DATA, modelFields: Record<string, unknown>, train: Record<string, unknown> = {}): string {
  return writeYamlConfig(dir, name, {
    algo,
    model: { name_or_path: model, ...modelFields },
    datasets: [{ name: join(REPO_ROOT, DATA[algo]), max_samples: 8 }],
    ...(algo === 'grpo' ? { rewards: [{ type: 'length' }] } : {}),
    train: { max_length: 48, max_prompt_length: 24, logging_steps: 1, save_interval: 0, ...TRAIN[algo], ...train },
    logging: { output_dir: join(dir, name) },
    caching: { enabled: false },
  });
}

beforeAll(async () => {
  ({ dir, model } = await tinyModelDir('aligntune-frozen-storage-'));
});

describe('frozen weight storage through aligntune train', () => {
  it('DPO with a bf16 + 4-bit nf4 reference trains, and its logged reference differs from an fp32 one', async () => {
    const quantized = await cli('train', '--config', writeConfig('dpo-nf4', 'dpo', { precision: 'bf16', quantization: { load_in_4bit: true, bnb_4bit_quant_type: 'nf4' } }));
    expect(quantized.code, quantized.stderr).toBe(0);
    const plain = await cli('train', '--config', writeConfig('dpo-fp32', 'dpo', { precision: 'fp32' }));
    expect(plain.code, plain.stderr).toBe(0);
    const firstLoss = (run: string) => (JSON.parse(readFileSync(join(dir, run, 'metrics.jsonl'), 'utf8').split('\n')[0]!) as { loss: number }).loss;
    // step 1's policy is the reference's start: with an fp32 reference the loss is exactly ln 2
    expect(firstLoss('dpo-fp32')).toBeCloseTo(Math.LN2, 6);
    expect(Math.abs(firstLoss('dpo-nf4') - Math.LN2)).toBeGreaterThan(1e-6);
  });

  it('GRPO with beta > 0 quantizes its reference (int4) and trains; with beta 0 it has none and exits 2', async () => {
    const int4 = { precision: 'bf16', quantization: { load_in_4bit: true, bnb_4bit_quant_type: 'int4', block_size: 32 } };
    const grpo = (name: string, beta: number) => cli('train', '--config', writeConfig(name, 'grpo', int4, { beta }));
    const withReference = await grpo('grpo-int4', 0.1);
    expect(withReference.code, withReference.stderr).toBe(0);
    const withoutReference = await grpo('grpo-no-ref', 0);
    expect(withoutReference.code).toBe(2);
    expect(withoutReference.stderr).toContain('quantization needs frozen base weights');
  });

  it("PPO stores its reward model (model.reward_path) as asked: the same completions score differently in int8", async () => {
    const reward = await cli('train', '--config', writeConfig('rm', 'reward', {}));
    expect(reward.code, reward.stderr).toBe(0);
    const ppo = async (name: string, storage: Record<string, unknown>) => {
      const run = await cli('train', '--config', writeConfig(name, 'ppo', { reward_path: join(dir, 'rm/final'), ...storage }));
      expect(run.code, run.stderr).toBe(0);
      return (JSON.parse(readFileSync(join(dir, name, 'metrics.jsonl'), 'utf8').split('\n')[0]!) as Record<string, number>)['objective/scores'];
    };
    const plain = await ppo('ppo-fp32', { precision: 'fp32' });
    const int8 = await ppo('ppo-int8', { precision: 'fp32', quantization: { load_in_8bit: true } });
    expect(int8).not.toBe(plain);
    expect(int8).toBeCloseTo(plain!, 1);
  });

  it('SFT with quantization exits 2: nothing is frozen, so nothing would be quantized', async () => {
    const result = await cli('train', '--config', writeConfig('sft-q', 'sft', { quantization: { load_in_4bit: true } }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('model.quantization: quantization needs frozen base weights: use LoRA (model.peft)');
  });

  it('an unknown or unsupported quantization key exits 2 naming it', async () => {
    const result = await cli('validate', '--config', writeConfig('bad-q', 'dpo', { quantization: { load_in_4bit: true, llm_int8_threshold: 6, bnb_4bit_use_double_quant: true } }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('model.quantization.llm_int8_threshold: unknown key');
    expect(result.stderr).toContain('model.quantization.bnb_4bit_use_double_quant: double quantization (8-bit absmax) is not supported yet');
  });
});
