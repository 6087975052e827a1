// @aligntune/core/util — Small helpers below every layer: seeded randomness, content hashes, atomic file writes, finding executables.
// Named exports only: adding a name here is a deliberate change to the public API
// (test/packaging/public-api.test.ts compares it with test/packaging/public-api.names.json).
import 'reflect-metadata';
export { writeDataAtomic } from '../util/atomic-write.js';
export { contentHash } from '../util/canonical-json.js';
export { findExecutable } from '../util/find-executable.js';
export { SeededRandom } from '../util/seeded-random.js';
