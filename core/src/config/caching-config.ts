import { Bool, Describe, NonEmptyStr } from './field-rules.js';

/** `caching:` — the processed-dataset cache. */
export class CachingConfig {
  @Describe('Cache directory. Default "./cache".')
  @NonEmptyStr()
  root = './cache';

  @Describe('Reuse processed datasets keyed by a hash of their config. Default true.')
  @Bool()
  enabled = true;
}
