import { Examples, Describe, Mapping, NonEmptyStr, NonNegativeInt, Optional, PositiveInt } from './field-rules.js';

/** The distributed backends the spec names; only ids an installed plugin provides are accepted. */
export const SPEC_DISTRIBUTED_BACKENDS = ['single', 'ddp', 'fsdp', 'deepspeed'] as const;

/** `distributed:` */
export class DistributedConfig {
  @Describe('Distributed backend id: "single" (default); ddp/fsdp/deepspeed need a plugin.')
  @Examples(SPEC_DISTRIBUTED_BACKENDS)
  @NonEmptyStr()
  backend = 'single';

  @Describe('Number of nodes. Default 1.')
  @PositiveInt()
  nodes = 1;

  @Describe('Processes (devices) per node. Default 1.')
  @PositiveInt()
  gpus_per_node = 1;

  @Describe('Seed for process-group / data-sharding randomness. Default: train.seed.')
  @Optional()
  @NonNegativeInt()
  seed?: number;

  @Describe('DeepSpeed\'s config, for a backend that acts on it (deepspeed): the one key acted on is zero_optimization.stage (1 or 2, default 2); any other, and stage 3, is refused.')
  @Optional()
  @Mapping()
  deepspeed_config?: Record<string, unknown>;
}
