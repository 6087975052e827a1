export type WandbMode = 'online' | 'offline' | 'disabled';

/** How the background sender paces, retries and bounds itself. */
export interface SenderTuning {
  /** Delay before the first retry of a failed request; it doubles per attempt. */
  readonly retryMs: number;
  /** Attempts per request before a round of uploading gives up (the data stays on disk for a later round). */
  readonly maxAttempts: number;
  /** The longest `flush()` and `close()` wait for the server. */
  readonly waitMs: number;
  /** Bytes of unsent history kept in memory; the rest is read back from the run directory. */
  readonly queueBytes: number;
  /** Least time between two file_stream requests while training (W&B's own clients use 15 s). */
  readonly intervalMs: number;
  /** Timeout of one HTTP request. */
  readonly httpTimeoutMs: number;
}

export interface WandbSettings {
  readonly mode: WandbMode;
  readonly apiKey?: string;
  readonly baseUrl: string;
  /** True when WANDB_BASE_URL was set (it then overrides the base URL a run directory recorded). */
  readonly baseUrlFromEnv: boolean;
  readonly project: string;
  readonly entity?: string;
  readonly runId?: string;
  readonly tuning: SenderTuning;
}

const DEFAULT_BASE_URL = 'https://api.wandb.ai';
const DEFAULT_PROJECT = 'aligntune';

/** An error the user fixes by changing the environment or the command line (the CLI exits with code 2). */
export class WandbUsageError extends Error {
  override readonly name = 'WandbUsageError';
  readonly exitCode = 2;
}

/**
 * Reads the W&B environment variables (the names W&B's own clients use) plus aligntune's sender tuning.
 * The API key is never written anywhere: it lives in this object and in request headers only.
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): WandbSettings {
  const baseUrl = nonEmpty(env.WANDB_BASE_URL);
  return {
    mode: parseMode(env.WANDB_MODE),
    apiKey: nonEmpty(env.WANDB_API_KEY),
    baseUrl: (baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, ''),
    baseUrlFromEnv: baseUrl !== undefined,
    project: nonEmpty(env.WANDB_PROJECT) ?? DEFAULT_PROJECT,
    entity: nonEmpty(env.WANDB_ENTITY),
    runId: parseRunId(nonEmpty(env.WANDB_RUN_ID)),
    tuning: {
      retryMs: number(env, 'ALIGNTUNE_WANDB_RETRY_MS', 1000),
      maxAttempts: Math.max(1, Math.round(number(env, 'ALIGNTUNE_WANDB_MAX_ATTEMPTS', 5))),
      waitMs: number(env, 'ALIGNTUNE_WANDB_WAIT_MS', 30_000),
      queueBytes: number(env, 'ALIGNTUNE_WANDB_QUEUE_BYTES', 16 << 20),
      intervalMs: number(env, 'ALIGNTUNE_WANDB_INTERVAL_MS', 5000),
      httpTimeoutMs: number(env, 'WANDB_HTTP_TIMEOUT', 30) * 1000,
    },
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value?.trim() ? value.trim() : undefined;
}

function parseMode(value: string | undefined): WandbMode {
  const mode = nonEmpty(value)?.toLowerCase() ?? 'online';
  if (mode === 'dryrun') return 'offline'; // W&B's older name for offline
  if (mode === 'online' || mode === 'offline' || mode === 'disabled') return mode;
  throw new WandbUsageError(`WANDB_MODE must be online, offline or disabled, not "${value}"`);
}

/** W&B run ids become URL path segments and directory names. */
function parseRunId(value: string | undefined): string | undefined {
  if (value !== undefined && !/^[A-Za-z0-9_-]{1,128}$/.test(value)) {
    throw new WandbUsageError(`WANDB_RUN_ID "${value}" may only hold letters, digits, '_' and '-'`);
  }
  return value;
}

function number(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = nonEmpty(env[name]);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new WandbUsageError(`${name} must be a non-negative number, not "${text}"`);
  return value;
}
