import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { Reward, getContributionMetadata } from '@aligntune/core';

class Dependency {}

@Reward('canary')
class CanaryReward {
  constructor(readonly dependency: Dependency) {}
}

// Some toolchains (esbuild, tsx, vite 7) silently drop decorator metadata; inversify and
// class-transformer then fail at run time. This canary fails first, with a clear name.
describe('decorator metadata under the test runner', () => {
  it('emits design:paramtypes for constructor parameters', () => {
    expect(Reflect.getMetadata('design:paramtypes', CanaryReward)).toEqual([Dependency]);
  });
  it('records the contribution on the class', () => {
    expect(getContributionMetadata(CanaryReward)).toMatchObject({ kind: 'reward', ids: ['canary'] });
  });
});
