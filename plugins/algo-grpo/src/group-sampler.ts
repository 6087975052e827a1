import { type Rollout } from '@aligntune/core/training';
import { tiedGroups } from './advantages.js';

export interface SampledGroups {
  readonly rollouts: Rollout[];
  /** Fraction of the first round's groups whose rewards all tie (TRL's frac_reward_zero_std). */
  readonly tiedFraction: number;
  /** Generation rounds it took (1 without dynamic sampling). */
  readonly rounds: number;
}

/**
 * `prompts` groups of G completions from `sample`; with DAPO's dynamic sampling (maxResample > 0), groups whose
 * rewards tie are replaced by fresh prompts' for up to maxResample extra rounds, then filled up with tied ones
 * (advantage 0: no gradient, but the batch keeps its size).
 */
export async function sampleGroups(sample: (prompts: number) => Promise<Rollout[]>, prompts: number, groupSize: number, maxResample: number): Promise<SampledGroups> {
  const first = await sample(prompts);
  const tied = tiedGroups(first.map((r) => r.total), groupSize);
  const tiedFraction = tied.filter(Boolean).length / tied.length;
  if (maxResample === 0) return { rollouts: first, tiedFraction, rounds: 1 };
  const kept: Rollout[][] = [];
  const spare: Rollout[][] = [];
  const sort = (rollouts: Rollout[]) => {
    for (let at = 0; at < rollouts.length; at += groupSize) {
      const group = rollouts.slice(at, at + groupSize);
      (tiedGroups(group.map((r) => r.total), groupSize)[0] ? spare : kept).push(group);
    }
  };
  sort(first);
  let rounds = 1;
  while (kept.length < prompts && rounds <= maxResample) {
    sort(await sample(prompts - kept.length));
    rounds++;
  }
  return { rollouts: [...kept, ...spare].slice(0, prompts).flat(), tiedFraction, rounds };
}
