import { Bool, Describe, NonEmptyStr, Optional, PositiveInt } from './field-rules.js';

/** `caching:` — the processed-dataset cache. */
export class CachingConfig {
  @Describe('Cache directory. Default "./cache".')
  @NonEmptyStr()
  root = './cache';

  @Describe('Reuse processed datasets keyed by a hash of their config. Default true.')
  @Bool()
  enabled = true;

  @Describe('Worker threads that tokenize datasets (as datasets.map(num_proc=)); results are identical to one thread. Default: one per CPU core.')
  @Optional()
  @PositiveInt()
  num_proc?: number;
}
