import { extensionPoint } from '../kernel/extension-point.js';
import type { GraphExecutor } from '../engine/graph-executor.js';
import type { ProcessGroup } from '../engine/process-group.js';
import type { AlgorithmContract } from './algorithm-contract.js';
import type { Trainer } from './trainer.js';
import type { MetricSink } from './metric-sink.js';

/** Typed tokens for the extension points whose contracts exist; each later layer adds its own. */
export const ExtensionPoints = {
  algorithm: extensionPoint<Trainer | AlgorithmContract>('algorithm'),
  computeBackend: extensionPoint<GraphExecutor>('compute-backend'),
  distributedBackend: extensionPoint<ProcessGroup>('distributed-backend'),
  metricLogger: extensionPoint<MetricSink>('metric-logger'),
} as const;
