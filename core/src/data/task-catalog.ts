import type { DatasetConfig } from '../config/dataset-config.js';
import type { TaskConfig } from '../config/task-config.js';
import type { Kernel } from '../kernel/kernel.js';
import { DataError } from './data-error.js';
import { DataExtensionPoints } from './extension-points.js';
import type { TaskDefinition } from './task-definition.js';

/** A task of the run: its definition, its share of the task weights, and the datasets that serve it. */
export interface PlannedTask {
  id: string;
  definition: TaskDefinition;
  /** The task's weight over the sum of the listed tasks' weights (1 when `tasks:` is empty). */
  weight: number;
  params: Record<string, unknown>;
  /** Indices into `datasets:` whose task_type is this task. */
  datasets: number[];
}

/**
 * The tasks a run uses, as in the spec's multi-task example: every `tasks:` entry, plus any task_type a
 * dataset names that `tasks:` does not list (weight 1, or 0 when `tasks:` lists others, with a warning in
 * the caller). Unknown task ids fail here, before any data is read.
 */
export async function planTasks(kernel: Kernel, tasks: readonly TaskConfig[], datasets: readonly DatasetConfig[]): Promise<PlannedTask[]> {
  const weights = new Map(tasks.map((t) => [t.name, t.weight] as const));
  for (const ds of datasets) if (ds.task_type && !weights.has(ds.task_type)) weights.set(ds.task_type, tasks.length === 0 ? 1 : 0);
  const total = [...weights.values()].reduce((a, b) => a + b, 0);
  const planned: PlannedTask[] = [];
  for (const [id, weight] of weights) {
    const params = tasks.find((t) => t.name === id)?.params ?? {};
    const definition = await kernel.create(DataExtensionPoints.task, id, { params });
    const served = datasets.flatMap((ds, i) => (ds.task_type === id ? [i] : []));
    planned.push({ id, definition, weight: total > 0 ? weight / total : 0, params, datasets: served });
  }
  return planned;
}

/** The task definition for a dataset's task_type, from a plan. */
export function taskFor(plan: readonly PlannedTask[], ds: DatasetConfig): TaskDefinition | undefined {
  if (!ds.task_type) return undefined;
  const task = plan.find((t) => t.id === ds.task_type);
  if (!task) throw new DataError(`dataset ${ds.name}: task_type "${ds.task_type}" is not a planned task`);
  return task.definition;
}
