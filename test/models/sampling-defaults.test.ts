import { describe, expect, it } from 'vitest';
import { ModelFileError, parseGenerationConfig } from '@aligntune/core';
import { OnPolicyOptions } from '@aligntune/core/training';
import { resolveSampling, type SamplingKnobs } from '../../core/src/models/rollout/sampling-defaults.js';

const GRPO_KNOBS = (set: { temperature?: number; topK?: number; topP?: number } = {}): SamplingKnobs => ({
  temperature: { key: 'train.temperature', value: set.temperature, fallback: 1 },
  topK: { key: 'train.top_k', value: set.topK, fallback: 0 },
  topP: { key: 'train.top_p', value: set.topP, fallback: 1 },
});

/** Llama 3.x Instruct's generation_config.json sampling fields. */
const LLAMA3 = parseGenerationConfig({ bos_token_id: 128000, eos_token_id: [128001, 128008, 128009], do_sample: true, temperature: 0.6, top_p: 0.9 });

describe('resolveSampling: user config > generation_config.json > the algorithm default', () => {
  it('fills each unset field from the file, else the default, and says where each value came from', () => {
    const r = resolveSampling(GRPO_KNOBS({ topP: 0.95 }), LLAMA3, '/m');
    expect(r.settings).toEqual({ temperature: 0.6, topK: 0, topP: 0.95 });
    expect(r.summary).toBe('sampling: temperature 0.6 (generation_config.json), top_k 0 (default), top_p 0.95 (train.top_p)');
    expect(r.warnings).toEqual([]);
    expect(resolveSampling(GRPO_KNOBS(), null).settings).toEqual({ temperature: 1, topK: 0, topP: 1 });
  });

  it("PPO / RLOO take the file's temperature over TRL's 0.7 and say that its top_p is not used", () => {
    const knobs = OnPolicyOptions.samplingKnobs(new OnPolicyOptions());
    const r = resolveSampling(knobs, LLAMA3, '/m');
    expect(r.settings).toEqual({ temperature: 0.6 });
    expect(r.warnings).toEqual(["generation_config.json's top_p is not used: this algorithm has no such option and samples the full distribution (as TRL's does)"]);
    expect(resolveSampling(knobs, null).settings).toEqual({ temperature: 0.7 });
  });

  it('a file value the sampler cannot use is a ModelFileError naming the file, the field and the key that overrides it', () => {
    const bad = parseGenerationConfig({ top_p: 1.5 });
    expect(() => resolveSampling(GRPO_KNOBS(), bad, '/m')).toThrow(new ModelFileError('/m/generation_config.json', 'top_p', 'must be a number in (0, 1] to sample rollouts, got 1.5 (or set train.top_p)'));
    expect(resolveSampling(GRPO_KNOBS({ topP: 0.5 }), bad, '/m').settings.topP).toBe(0.5); // a set key never reads the file's value
  });
});
