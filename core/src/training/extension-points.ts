import { extensionPoint } from '../kernel/extension-point.js';
import type { GraphExecutor } from '../engine/graph-executor.js';
import type { ProcessGroup } from '../engine/process-group.js';
import type { AlgorithmContract } from './algorithm-contract.js';
import type { OnlineAlgorithmContract } from './online/online-algorithm.js';
import type { MetricSink } from './metric-sink.js';

/** Typed tokens for the extension points whose contracts exist; each later layer adds its own. */
export const ExtensionPoints = {
  algorithm: extensionPoint<AlgorithmContract | OnlineAlgorithmContract>('algorithm'),
  computeBackend: extensionPoint<GraphExecutor>('compute-backend'),
  distributedBackend: extensionPoint<ProcessGroup>('distributed-backend'),
  metricLogger: extensionPoint<MetricSink>('metric-logger'),
} as const;
