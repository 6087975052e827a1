import { Algorithm, inject, Tokens } from '@aligntune/core/kernel';
import { type UnifiedConfig } from '@aligntune/core/config';
import { GrpoFamilyAlgorithm } from './grpo-family-algorithm.js';
import { DapoOptions, DrGrpoOptions, GrpoOptions, GspoOptions } from './grpo-options.js';

/** One implementation, four presets: a preset only binds an algorithm id to its options' defaults. */
function preset(id: string, options: new () => GrpoOptions, description: string): new (config: UnifiedConfig) => GrpoFamilyAlgorithm {
  @Algorithm(id, { options, description })
  class Preset extends GrpoFamilyAlgorithm {
    constructor(@inject(Tokens.Config) config: UnifiedConfig) {
      super(config);
    }
  }
  return Preset;
}

export const GrpoAlgorithm = preset('grpo', GrpoOptions, 'group relative policy optimization with online rollouts (TRL GRPOTrainer)');
export const DapoAlgorithm = preset('dapo', DapoOptions, 'DAPO: GRPO with clip-higher, token-level loss, overlong masking and dynamic sampling');
export const DrGrpoAlgorithm = preset('drgrpo', DrGrpoOptions, 'Dr. GRPO: GRPO without length and std normalisation');
export const GspoAlgorithm = preset('gspo', GspoOptions, 'GSPO: GRPO with sequence-level importance ratios');
