import { existsSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainResult } from '@aligntune/core';
import { runProcess, type ProcessRun } from '../helpers/run-process.js';
import { REPO_ROOT, removeDir, tempDir } from '../helpers/temp-project.js';

const LIBRARY = join(REPO_ROOT, 'examples/library');
const RUN_TIMEOUT = 120_000;

type ExampleRun = ProcessRun;

/**
 * The scripts run as a user runs them, compiled (dist/, built by `tsc -b`, which `npm test` runs first). A
 * source newer than the last build would make this test exercise stale code, so that is an error.
 */
function assertBuilt(): void {
  const buildInfo = join(LIBRARY, 'dist/.tsbuildinfo');
  const stale = readdirSync(join(LIBRARY, 'src')).filter((file) => !existsSync(buildInfo) || statSync(join(LIBRARY, 'src', file)).mtimeMs > statSync(buildInfo).mtimeMs);
  if (stale.length > 0) throw new Error(`examples/library is not built for ${stale.join(', ')}: run npx tsc -b`);
}

/**
 * An application directory as a user has one after `npm install`ing aligntune: a package.json whose
 * dependencies (the example package's) are where plugin discovery looks, and the repository's node_modules.
 * The examples' relative defaults (model, outputs, dataset cache) land in it.
 */
function makeApp(): string {
  const app = tempDir('aligntune-library-app-');
  const { dependencies } = JSON.parse(readFileSync(join(LIBRARY, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', dependencies }));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');
  return app;
}

function runExample(cwd: string, script: string, args: readonly string[]): Promise<ExampleRun> {
  return runProcess(process.execPath, [join(LIBRARY, 'dist', script), ...args], { cwd });
}

describe('examples/library: one TypeScript script per algorithm', () => {
  let app: string;

  beforeAll(() => {
    assertBuilt();
    app = makeApp();
  });

  afterAll(() => removeDir(app));

  /** Two steps of an example with its default model, data and output directory; checks the printed result. */
  async function train(script: string, ...args: string[]): Promise<{ result: TrainResult; run: ExampleRun; resolved: Record<string, any> }> {
    const run = await runExample(app, script, ['--steps', '2', ...args]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as TrainResult;
    expect(result.steps).toBe(2);
    expect(Number.isFinite(result.metrics.loss)).toBe(true);
    expect(existsSync(join(result.outputDir!, 'model.safetensors'))).toBe(true);
    const resolved = parse(readFileSync(join(result.outputDir!, '../config.resolved.yaml'), 'utf8')) as Record<string, any>;
    return { result, run, resolved };
  }

  it('sft.js creates the tiny default model on first use and fine-tunes it', { timeout: RUN_TIMEOUT }, async () => {
    const { result, run, resolved } = await train('sft.js');
    expect(run.stderr).toContain('created a tiny random Llama in ./output/models/tiny-llama');
    expect(existsSync(join(app, 'output/models/tiny-llama/config.json'))).toBe(true);
    expect(result.outputDir).toBe(join(app, 'output/library/sft/final'));
    expect(resolved).toMatchObject({ algo: 'sft', train: { completion_only_loss: true, max_steps: 2 } });
    expect(result.metrics).toHaveProperty('mean_token_accuracy');
  });

  it('dpo.js trains on the hh-rlhf fixture', { timeout: RUN_TIMEOUT }, async () => {
    const { result, resolved } = await train('dpo.js');
    expect(resolved).toMatchObject({ algo: 'dpo', train: { beta: 0.1, loss_type: 'sigmoid' } });
    expect(result.metrics).toHaveProperty('rewards/margins');
  });

  // What each preset sets (docs/algorithms/grpo.md), as the resolved config shows it.
  const presets: Array<[string, Record<string, unknown>]> = [
    ['grpo', { loss_type: 'grpo', importance_sampling_level: 'token' }],
    ['dapo', { loss_type: 'dapo', epsilon_high: 0.28, mask_truncated_completions: true }],
    ['drgrpo', { loss_type: 'dr_grpo', scale_rewards: 'none' }],
    ['gspo', { loss_type: 'grpo', importance_sampling_level: 'sequence' }],
  ];

  it.each(presets)('grpo.js --algo %s samples, scores with the rewards and trains', { timeout: RUN_TIMEOUT }, async (algo, options) => {
    const { result, resolved } = await train('grpo.js', '--algo', algo);
    expect(result.outputDir).toBe(join(app, 'output/library', algo, 'final'));
    expect(resolved.algo).toBe(algo);
    expect(resolved.train).toMatchObject({ num_generations: 4, ...options });
    expect(result.metrics).toHaveProperty('rewards/exact_match/mean');
    expect(result.metrics).toHaveProperty('rewards/length/mean');
  });

  it('grpo.js rejects an --algo outside the family', { timeout: RUN_TIMEOUT }, async () => {
    const run = await runExample(app, 'grpo.js', ['--algo', 'dpo']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('--algo dpo: expected one of grpo, dapo, drgrpo, gspo');
  });

  it('ppo.js trains with reward functions only (the seed quick start)', { timeout: RUN_TIMEOUT }, async () => {
    const { result, resolved } = await train('ppo.js');
    expect(resolved.model.reward_path).toBeUndefined();
    expect(result.metrics).toHaveProperty('loss/value_avg');
    expect(existsSync(join(result.outputDir!, 'value_model/model.safetensors'))).toBe(true);
  });

  it('reward.js trains a reward model that ppo.js --reward-model then scores with', { timeout: 2 * RUN_TIMEOUT }, async () => {
    const reward = await train('reward.js');
    const head = JSON.parse(readFileSync(join(reward.result.outputDir!, 'config.json'), 'utf8')) as { architectures: string[] };
    expect(head.architectures).toEqual(['LlamaForSequenceClassification']);
    expect(reward.result.metrics).toHaveProperty('accuracy');

    const ppo = await train('ppo.js', '--reward-model', reward.result.outputDir!, '--out', join(app, 'output/library/ppo-rm'));
    expect(ppo.resolved.model.reward_path).toBe(reward.result.outputDir);
    expect(ppo.result.metrics).toHaveProperty('loss/value_avg');
  });
});
