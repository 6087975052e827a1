import type { Constructor } from '../../kernel/contribution.js';
import { Reward } from '../../kernel/contribution.js';
import { inject } from 'inversify';
import { Tokens } from '../../kernel/tokens.js';
import type { RewardBatch, RewardFunction, RewardValues } from './reward-function.js';

/** A reward written as a plain function of the batch and its validated params. */
export type RewardScorer<P> = (batch: RewardBatch, params: P) => RewardValues | Promise<RewardValues>;

/**
 * Turns a function into a decorated reward class, so it can be exported from a plugin or registered with
 * `RewardRegistry.register(id, cls)` like any class. With `params`, the config's extra keys are validated
 * against that class-validator class before training starts and the function receives the instance.
 */
export function defineReward<P extends object = Record<string, unknown>>(
  id: string,
  scorer: RewardScorer<P>,
  params?: Constructor<P>,
  description?: string,
): Constructor<RewardFunction> {
  class DefinedReward implements RewardFunction {
    constructor(@inject(Tokens.Params) readonly params: P) {}

    score(batch: RewardBatch): RewardValues | Promise<RewardValues> {
      return scorer(batch, this.params);
    }
  }
  // A readable class name shows up in stack traces and `aligntune plugins`.
  Object.defineProperty(DefinedReward, 'name', { value: `${pascalCase(id)}Reward` });
  Reward(id, { params, description })(DefinedReward);
  return DefinedReward;
}

function pascalCase(id: string): string {
  return id
    .split(/[^a-z0-9]+/i)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}
