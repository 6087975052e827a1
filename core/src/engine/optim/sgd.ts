import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { asParamScalar, type GraphOptimizer, type ParamUpdate, type StepScalars } from './optimizer.js';

export interface SgdOptions {
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/** torch.optim.SGD (single-tensor): L2 weight decay folded into the gradient, optional (Nesterov) momentum. */
export class Sgd implements GraphOptimizer {
  readonly kind = 'sgd';
  readonly slots: readonly string[];
  private readonly momentum: number;
  private readonly dampening: number;
  private readonly nesterov: boolean;
  private readonly weightDecay: number;

  constructor(opts: SgdOptions = {}) {
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.nesterov = opts.nesterov ?? false;
    this.weightDecay = opts.weightDecay ?? 0;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) throw new Error('Nesterov momentum requires a momentum and zero dampening');
    this.slots = this.momentum !== 0 ? ['momentum_buffer'] : [];
  }

  update(g: Graph, _name: string, p: Tensor, grad: Tensor, state: readonly Tensor[], { lr, step }: StepScalars): ParamUpdate {
    let d = this.weightDecay !== 0 ? g.add(grad, g.mul(p, g.scalar(this.weightDecay, p.dtype))) : grad;
    const newState: Tensor[] = [];
    if (this.momentum !== 0) {
      // torch starts the buffer as a copy of d_p on the first step.
      const running = g.add(g.mul(state[0], g.scalar(this.momentum, p.dtype)), g.mul(d, g.scalar(1 - this.dampening, p.dtype)));
      const buf = g.where(g.equal(step, g.scalar(1, 'float64')), d, running);
      newState.push(buf);
      d = this.nesterov ? g.add(d, g.mul(buf, g.scalar(this.momentum, p.dtype))) : buf;
    }
    const param = g.add(p, g.mul(d, asParamScalar(g, g.neg(lr), p)));
    return { param, state: newState };
  }
}
