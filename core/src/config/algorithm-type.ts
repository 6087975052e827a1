/**
 * The algorithms the spec names. A const object plus a union type (rather than a TS `enum`) so that YAML
 * strings compare directly and plugins can add ids: `algo` also accepts any id an installed algorithm
 * plugin contributes.
 */
export const AlgorithmType = {
  PPO: 'ppo',
  DPO: 'dpo',
  GRPO: 'grpo',
  GSPO: 'gspo',
  DAPO: 'dapo',
  DRGRPO: 'drgrpo',
  SFT: 'sft',
  REWARD: 'reward',
} as const;

export type AlgorithmType = (typeof AlgorithmType)[keyof typeof AlgorithmType];

export const ALGORITHM_TYPES: readonly AlgorithmType[] = Object.values(AlgorithmType);
