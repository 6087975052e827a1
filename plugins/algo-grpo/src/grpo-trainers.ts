import { Algorithm, inject, Kernel, optional, Tokens } from '@aligntune/core/kernel';
import { type UnifiedConfig } from '@aligntune/core/config';
import { type TrainerLogger } from '@aligntune/core/training';
import { GrpoFamilyTrainer } from './grpo-family-trainer.js';
import { DapoOptions, DrGrpoOptions, GrpoOptions, GspoOptions } from './grpo-options.js';

// One implementation, four presets: each class only binds an algorithm id to its options' defaults.

@Algorithm('grpo', { options: GrpoOptions, description: 'group relative policy optimization with online rollouts (TRL GRPOTrainer)' })
export class GrpoTrainer extends GrpoFamilyTrainer {
  constructor(@inject(Tokens.Config) config: UnifiedConfig, @inject(Tokens.Kernel) kernel: Kernel, @optional() @inject(Tokens.Logger) logger?: TrainerLogger) {
    super(config, kernel, logger);
  }
}

@Algorithm('dapo', { options: DapoOptions, description: 'DAPO: GRPO with clip-higher, token-level loss, overlong masking and dynamic sampling' })
export class DapoTrainer extends GrpoFamilyTrainer {
  constructor(@inject(Tokens.Config) config: UnifiedConfig, @inject(Tokens.Kernel) kernel: Kernel, @optional() @inject(Tokens.Logger) logger?: TrainerLogger) {
    super(config, kernel, logger);
  }
}

@Algorithm('drgrpo', { options: DrGrpoOptions, description: 'Dr. GRPO: GRPO without length and std normalisation' })
export class DrGrpoTrainer extends GrpoFamilyTrainer {
  constructor(@inject(Tokens.Config) config: UnifiedConfig, @inject(Tokens.Kernel) kernel: Kernel, @optional() @inject(Tokens.Logger) logger?: TrainerLogger) {
    super(config, kernel, logger);
  }
}

@Algorithm('gspo', { options: GspoOptions, description: 'GSPO: GRPO with sequence-level importance ratios' })
export class GspoTrainer extends GrpoFamilyTrainer {
  constructor(@inject(Tokens.Config) config: UnifiedConfig, @inject(Tokens.Kernel) kernel: Kernel, @optional() @inject(Tokens.Logger) logger?: TrainerLogger) {
    super(config, kernel, logger);
  }
}
