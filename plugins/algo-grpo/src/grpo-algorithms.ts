import { Algorithm, inject, Tokens } from '@aligntune/core/kernel';
import { type UnifiedConfig } from '@aligntune/core/config';
import { GrpoFamilyAlgorithm } from './grpo-family-algorithm.js';
import { DapoOptions, DrGrpoOptions, GrpoOptions, GspoOptions } from './grpo-options.js';

// One implementation, four presets: each class only binds an algorithm id to its options' defaults.

@Algorithm('grpo', { options: GrpoOptions, description: 'group relative policy optimization with online rollouts (TRL GRPOTrainer)' })
export class GrpoAlgorithm extends GrpoFamilyAlgorithm {
  constructor(@inject(Tokens.Config) config: UnifiedConfig) {
    super(config);
  }
}

@Algorithm('dapo', { options: DapoOptions, description: 'DAPO: GRPO with clip-higher, token-level loss, overlong masking and dynamic sampling' })
export class DapoAlgorithm extends GrpoFamilyAlgorithm {
  constructor(@inject(Tokens.Config) config: UnifiedConfig) {
    super(config);
  }
}

@Algorithm('drgrpo', { options: DrGrpoOptions, description: 'Dr. GRPO: GRPO without length and std normalisation' })
export class DrGrpoAlgorithm extends GrpoFamilyAlgorithm {
  constructor(@inject(Tokens.Config) config: UnifiedConfig) {
    super(config);
  }
}

@Algorithm('gspo', { options: GspoOptions, description: 'GSPO: GRPO with sequence-level importance ratios' })
export class GspoAlgorithm extends GrpoFamilyAlgorithm {
  constructor(@inject(Tokens.Config) config: UnifiedConfig) {
    super(config);
  }
}
