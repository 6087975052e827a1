import { extensionPoint } from '../kernel/extension-point.js';
import type { RecordAdapter } from './record-adapter.js';
import type { RecordSource } from './record-source.js';
import type { TaskDefinition } from './task-definition.js';

/** Typed tokens for the data layer's extension points: `kernel.create(DataExtensionPoints.datasetLoader, 'local')`. */
export const DataExtensionPoints = {
  datasetLoader: extensionPoint<RecordSource>('dataset-loader'),
  schemaAdapter: extensionPoint<RecordAdapter>('schema-adapter'),
  task: extensionPoint<TaskDefinition>('task'),
} as const;
