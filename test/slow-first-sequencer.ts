import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The slowest files of a full run (measured on the 2-core CI machine), slowest first. Without vitest's duration cache
 * (a clean CI clone) files run largest first, so a short file that runs long (a learning test, a 3-line backend twin)
 * would start near the end and leave one of the two workers busy alone; these start first instead. Prefixes of
 * paths from the repository root; a stale entry only costs the order.
 */
const SLOWEST = [
  'test/distributed/mpi-training',
  'test/distributed/mpi-online',
  'test/training/grpo-learning',
  'test/training/exactness',
  'test/packaging/install-outside',
  'test/training/grpo-exactness',
  'test/cli/run-lifecycle',
  'test/cli/memory-options',
  'test/cli/frozen-storage',
  'test/training/reward-model',
  'test/examples/library',
];

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const path = relative(file.project.config.root, file.moduleId);
      const index = SLOWEST.findIndex((prefix) => path.startsWith(prefix));
      return index < 0 ? SLOWEST.length : index;
    };
    // Array.prototype.sort is stable: vitest's order stands within each rank
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
