import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { asParamScalar, type GraphOptimizer, type ParamUpdate, type StepScalars } from './optimizer.js';

export interface AdamWOptions {
  betas?: [number, number];
  eps?: number;
  /** Decoupled weight decay (torch default 0.01). */
  weightDecay?: number;
  /** Per-parameter override, e.g. HF's "no decay for biases and norms": return 0 for those. */
  weightDecayFor?: (paramName: string) => number;
}

/** torch.optim.AdamW (single-tensor, non-amsgrad): decoupled decay, lerp'd first moment, bias correction. */
export class AdamW implements GraphOptimizer {
  readonly kind = 'adamw';
  readonly slots = ['exp_avg', 'exp_avg_sq'] as const;
  readonly foldsGradScale = true;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private readonly decay: (name: string) => number;

  constructor(opts: AdamWOptions = {}) {
    [this.beta1, this.beta2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    const wd = opts.weightDecay ?? 0.01;
    this.decay = opts.weightDecayFor ?? (() => wd);
  }

  update(g: Graph, name: string, p: Tensor, grad: Tensor, [m, v]: readonly Tensor[], { lr, step, gradScale }: StepScalars): ParamUpdate {
    const wd = this.decay(name);
    // param.mul_(1 - lr * weight_decay)
    const p1 = wd === 0 ? p : g.mul(p, asParamScalar(g, g.sub(1, g.mul(lr, wd)), p));
    let m1: Tensor;
    let v1: Tensor;
    if (gradScale) {
      // grad·c is the clipped gradient: m·β1 + grad·(c(1−β1)) and v·β2 + grad·(grad·c²(1−β2)) — torch's
      // values (lerp written as m·β1 + w·g) without materialising grad·c or g − m: two passes fewer.
      const c = (k: number) => asParamScalar(g, g.mul(gradScale, k), p);
      m1 = g.add(g.mul(m, g.scalar(this.beta1, p.dtype)), g.mul(grad, c(1 - this.beta1)));
      v1 = g.add(g.mul(v, g.scalar(this.beta2, p.dtype)), g.mul(grad, g.mul(grad, asParamScalar(g, g.mul(g.mul(gradScale, gradScale), 1 - this.beta2), p))));
    } else {
      // exp_avg.lerp_(grad, 1 - beta1): weight < 0.5 → m + w·(g − m)
      m1 = g.add(m, g.mul(g.sub(grad, m), g.scalar(1 - this.beta1, p.dtype)));
      // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
      v1 = g.add(g.mul(v, g.scalar(this.beta2, p.dtype)), g.mul(g.mul(grad, g.scalar(1 - this.beta2, p.dtype)), grad));
    }
    const bc1 = g.sub(1, g.pow(g.scalar(this.beta1, 'float64'), step));
    const bc2 = g.sub(1, g.pow(g.scalar(this.beta2, 'float64'), step));
    // torch: denom = √v / √bc2 + eps; p −= step_size · m / denom. Multiplying through by √bc2 gives the
    // same value with one pass fewer over the parameter: p + (−step_size·√bc2) · m / (√v + eps·√bc2).
    const sqrtBc2 = g.sqrt(bc2);
    const stepSize = asParamScalar(g, g.neg(g.mul(g.div(lr, bc1), sqrtBc2)), p);
    const denom = g.add(g.sqrt(v1), asParamScalar(g, g.mul(sqrtBc2, this.eps), p));
    const p2 = g.add(p1, g.mul(stepSize, g.div(m1, denom)));
    return { param: p2, state: [m1, v1] };
  }
}
