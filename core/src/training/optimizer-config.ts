import type { TrainingConfig } from '../config/training-config.js';
import { AdamW } from '../engine/optim/adamw.js';
import type { GraphOptimizer } from '../engine/optim/optimizer.js';
import { makeSchedule, type ScheduleKind } from '../engine/optim/schedules.js';
import { Sgd } from '../engine/optim/sgd.js';

/**
 * HF Trainer's decay exclusion: biases and normalisation weights get no weight decay. Canonical names make
 * this a name test (`*.bias`, `*norm*.weight`).
 */
export function decaysWeight(paramName: string): boolean {
  return !(paramName.endsWith('.bias') || /norm[^.]*\.weight$/.test(paramName));
}

/** The optimizer `train:` asks for (adamw or sgd), with HF's per-parameter weight-decay exclusion. */
export function createOptimizer(train: TrainingConfig): GraphOptimizer {
  const wd = train.weight_decay;
  if (train.optimizer === 'adamw') {
    return new AdamW({ betas: [train.adam_beta1, train.adam_beta2], eps: train.adam_epsilon, weightDecayFor: (name) => (decaysWeight(name) ? wd : 0) });
  }
  if (wd === 0) return new Sgd({ momentum: train.sgd_momentum });
  return new PerParameterOptimizer(new Sgd({ momentum: train.sgd_momentum, weightDecay: wd }), new Sgd({ momentum: train.sgd_momentum }), decaysWeight);
}

/** Two optimizers with the same state slots, chosen per parameter (SGD has no per-parameter decay of its own). */
class PerParameterOptimizer implements GraphOptimizer {
  readonly kind: string;
  readonly slots: readonly string[];

  constructor(
    private readonly yes: GraphOptimizer,
    private readonly no: GraphOptimizer,
    private readonly choose: (name: string) => boolean,
  ) {
    this.kind = yes.kind;
    this.slots = yes.slots;
  }

  update(...args: Parameters<GraphOptimizer['update']>): ReturnType<GraphOptimizer['update']> {
    return (this.choose(args[1]) ? this.yes : this.no).update(...args);
  }
}

/** Warmup steps as HF computes them: warmup_steps, else ceil(warmup_ratio × total). */
export function warmupSteps(train: TrainingConfig, totalSteps: number): number {
  return train.warmup_steps > 0 ? train.warmup_steps : Math.ceil(train.warmup_ratio * totalSteps);
}

/** lr for each 0-based optimizer step (HF's get_*_schedule_with_warmup). */
export function createSchedule(train: TrainingConfig, totalSteps: number): (step: number) => number {
  const warmup = warmupSteps(train, totalSteps);
  const kind: ScheduleKind = train.lr_scheduler === 'constant' ? (warmup > 0 ? 'constant_with_warmup' : 'constant') : train.lr_scheduler;
  return makeSchedule({ kind, baseLr: train.learning_rate, warmupSteps: warmup, totalSteps });
}
