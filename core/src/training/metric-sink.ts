/** A value a hyperparameter table can hold (TensorBoard's hparams plugin and W&B's config accept these). */
export type HparamValue = string | number | boolean;

/** A cell of a logged table. */
export type TableCell = string | number | boolean | null;

/** Rows under named columns: TRL's completions table, the evaluator's per-task results. */
export interface MetricTable {
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<readonly TableCell[]>;
}

/** Where and what a run is, handed to every sink when the run starts. */
export interface RunInfo {
  /** `logging.run_name`, else `<algo>-<UTC timestamp>`; a resumed run keeps the name it started with. */
  readonly runName: string;
  /** The run's output directory (absolute). */
  readonly outputDir: string;
  readonly algo: string;
  /** The resolved configuration as plain data. It never holds secrets: API keys come from the environment only. */
  readonly config: Readonly<Record<string, unknown>>;
  /** True when the run continues from a checkpoint; `startStep` is then that checkpoint's step. */
  readonly resumed: boolean;
  readonly startStep: number;
}

/** The console side a sink may warn on (winston's logger fits). */
export interface SinkLogger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

/**
 * The metric-logger contract (`@MetricLogger('id')` classes implement it). Log calls are synchronous and
 * must not block or throw on I/O trouble: a sink queues and writes in the background, and reports problems
 * through `flush`/`close` or its logger. The trainer calls `open` once, then log calls in step order, then
 * `close` (also on failure and on SIGINT).
 */
export interface MetricSink {
  open(run: RunInfo, logger?: SinkLogger): Promise<void>;
  logScalars(step: number, values: Readonly<Record<string, number>>): void;
  logText(step: number, tag: string, text: string): void;
  logTable(step: number, tag: string, table: MetricTable): void;
  /** Once per run, after open: the flattened configuration, and optionally the metrics it is judged by. */
  logHparams(hparams: Readonly<Record<string, HparamValue>>, metrics?: Readonly<Record<string, number>>): void;
  /** Resolves when everything logged so far is written (or spilled to disk when a remote is unreachable). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A sink that an offline run directory can be uploaded from later (`aligntune logger sync <id> DIR`,
 * `aligntune wandb sync DIR`).
 */
export interface OfflineSyncSink extends MetricSink {
  syncOffline(dir: string, logger?: SinkLogger): Promise<{ uploaded: number; runId?: string; url?: string }>;
}

export function isOfflineSyncSink(sink: MetricSink): sink is OfflineSyncSink {
  return typeof (sink as Partial<OfflineSyncSink>).syncOffline === 'function';
}

/**
 * Flattens a nested config into `section.key` scalars for hparams tables; arrays of scalars are joined with
 * commas, objects recurse, null/undefined are dropped.
 */
export function flattenHparams(value: Readonly<Record<string, unknown>>, prefix = ''): Record<string, HparamValue> {
  const out: Record<string, HparamValue> = {};
  for (const [key, v] of Object.entries(value)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (v === null || v === undefined) continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[name] = v;
    else if (Array.isArray(v)) {
      if (v.every((x) => typeof x !== 'object' || x === null)) out[name] = v.map(String).join(',');
      else v.forEach((x, i) => Object.assign(out, typeof x === 'object' && x ? flattenHparams(x as Record<string, unknown>, `${name}.${i}`) : { [`${name}.${i}`]: String(x) }));
    } else if (typeof v === 'object') Object.assign(out, flattenHparams(v as Record<string, unknown>, name));
  }
  return out;
}
