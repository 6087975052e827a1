/** A loss scaler's state as checkpoints keep it (torch GradScaler's state_dict: scale and growth tracker). */
export interface LossScalerState {
  readonly scale: number;
  readonly growth_tracker: number;
}

/** torch.amp.GradScaler's constructor arguments, with its defaults. */
export interface LossScalerOptions {
  readonly initScale?: number;
  readonly growthFactor?: number;
  readonly backoffFactor?: number;
  readonly growthInterval?: number;
}

/**
 * Dynamic loss scaling for float16 mixed precision, as torch's GradScaler: the loss is scaled by S before the
 * backward so small gradients do not flush to zero in float16; a step whose gradients overflow (inf/NaN) is
 * skipped and S halves; after `growthInterval` good steps in a row S doubles. The step graph does the scaling and
 * the skip (`lossScaling` in train-step.ts); this holds S between steps.
 */
export class LossScaler {
  private current: number;
  private goodSteps = 0;
  private readonly growthFactor: number;
  private readonly backoffFactor: number;
  private readonly growthInterval: number;

  constructor(options: LossScalerOptions = {}) {
    this.current = options.initScale ?? 2 ** 16;
    this.growthFactor = options.growthFactor ?? 2;
    this.backoffFactor = options.backoffFactor ?? 0.5;
    this.growthInterval = options.growthInterval ?? 2000;
  }

  /** S for the next step. */
  get scale(): number {
    return this.current;
  }

  /** After a step: `finite` is whether its gradient norm was finite (else the graph kept the old weights). */
  update(finite: boolean): void {
    if (!finite) {
      this.current *= this.backoffFactor;
      this.goodSteps = 0;
      return;
    }
    this.goodSteps++;
    if (this.goodSteps === this.growthInterval) {
      this.current *= this.growthFactor;
      this.goodSteps = 0;
    }
  }

  state(): LossScalerState {
    return { scale: this.current, growth_tracker: this.goodSteps };
  }

  restore(state: LossScalerState): void {
    this.current = state.scale;
    this.goodSteps = state.growth_tracker;
  }
}
